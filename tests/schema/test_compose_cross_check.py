"""Our supergraph against @apollo/composition's for the same fixture subgraphs, ordering aside."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from compose_testing import compose_ok, fixture_set

from bench.apollo_composition import ApolloCompose, normalise
from schema.compose import Subgraph
from schema.sources import platform_subgraphs
from schema.subgraphs import PLATFORM_SUBGRAPHS

FIXTURE_SETS = ["commerce", "media", "civic"]
# The gateway's authorization fixture: its supergraph.graphql is @apollo/composition's.
GATEWAY_AUTHORIZATION = Path(__file__).parents[1] / "gateway" / "fixtures" / "authorization"


def _gateway_authorization() -> tuple[list[Subgraph], str]:
    supergraph = (GATEWAY_AUTHORIZATION / "supergraph.graphql").read_text()
    subgraphs = []
    for name in ("payroll", "people"):
        url = re.search(rf'@join__graph\(name: "{name}", url: "([^"]+)"\)', supergraph)
        assert url is not None, name
        sdl = (GATEWAY_AUTHORIZATION / f"{name}.graphql").read_text()
        subgraphs.append(Subgraph(name, url.group(1), sdl))
    return subgraphs, supergraph


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


def test_gateway_authorization_fixture_composes_to_its_supergraph() -> None:
    """Requirements of implementations reach their interfaces (Document.title, Vehicle)."""
    subgraphs, supergraph = _gateway_authorization()
    ours = normalise(compose_ok(subgraphs))
    expected = normalise(supergraph)
    diff = "\n".join(difflib.unified_diff(expected, ours, "committed", "ours", lineterm=""))
    assert ours == expected, diff


@pytest.mark.slow
def test_gateway_authorization_fixture_supergraph_is_apollos(apollo: ApolloCompose) -> None:
    subgraphs, supergraph = _gateway_authorization()
    theirs = apollo(subgraphs)
    assert "errors" not in theirs, theirs
    live = normalise(theirs["supergraph"])
    expected = normalise(supergraph)
    diff = "\n".join(difflib.unified_diff(expected, live, "committed", "apollo", lineterm=""))
    assert live == expected, diff
