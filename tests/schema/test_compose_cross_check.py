"""Our supergraph against @apollo/composition's for the same fixture subgraphs, ordering aside."""

from __future__ import annotations

import difflib

import pytest
from compose_testing import compose_ok, fixture_set

from bench.apollo_composition import ApolloCompose, normalise
from schema.sources import platform_subgraphs
from schema.subgraphs import PLATFORM_SUBGRAPHS

FIXTURE_SETS = ["commerce", "media", "civic"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURE_SETS)
def test_same_supergraph_as_apollo(name: str, apollo: ApolloCompose) -> None:
    subgraphs = fixture_set(name)
    theirs = apollo(subgraphs)
    assert "errors" not in theirs, theirs
    ours = normalise(compose_ok(subgraphs))
    expected = normalise(theirs["supergraph"])
    diff = "\n".join(difflib.unified_diff(expected, ours, "apollo", "ours", lineterm=""))
    assert ours == expected, diff


@pytest.mark.slow
def test_platform_supergraph_same_as_apollo(apollo: ApolloCompose) -> None:
    """The agencies' own subgraphs, as `python -m schema compose` reads them."""
    subgraphs = platform_subgraphs(PLATFORM_SUBGRAPHS)
    theirs = apollo(subgraphs)
    assert "errors" not in theirs, theirs
    ours = normalise(compose_ok(subgraphs))
    expected = normalise(theirs["supergraph"])
    diff = "\n".join(difflib.unified_diff(expected, ours, "apollo", "ours", lineterm=""))
    assert ours == expected, diff
