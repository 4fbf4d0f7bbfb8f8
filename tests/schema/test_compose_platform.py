"""The committed schema/supergraph.graphql is what schema/subgraphs.py composes to."""

from __future__ import annotations

from schema.compose import compose
from schema.sources import platform_subgraphs
from schema.subgraphs import PLATFORM_SUBGRAPHS, SUPERGRAPH_PATH


def test_committed_supergraph_is_current() -> None:
    assert PLATFORM_SUBGRAPHS, "schema/subgraphs.py lists no subgraphs"
    result = compose(platform_subgraphs(PLATFORM_SUBGRAPHS))
    assert not result.errors, "\n".join(str(e) for e in result.errors)
    assert SUPERGRAPH_PATH.exists(), "schema/supergraph.graphql is missing: run `make compose`"
    assert SUPERGRAPH_PATH.read_text() == result.supergraph_sdl, (
        "schema/supergraph.graphql is stale: run `make compose` and commit it"
    )
