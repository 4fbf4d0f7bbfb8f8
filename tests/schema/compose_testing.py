"""Helpers for the composition tests: fixture subgraphs, composing them, error codes."""

from __future__ import annotations

import json
from pathlib import Path

from schema.compose import CompositionResult, Subgraph, compose

FIXTURES = Path(__file__).parent / "fixtures"
FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: {})\n'
ALL_IMPORTS = [
    "@key",
    "@shareable",
    "@external",
    "@requires",
    "@provides",
    "@override",
    "@inaccessible",
    "@tag",
    "@interfaceObject",
    "@authenticated",
    "@requiresScopes",
    "@policy",
    "@cost",
    "@listSize",
]


EXPECTED = "expected.graphql"  # in a corpus set: @apollo/composition's supergraph
EXPECTED_ERROR = "expected-error.txt"  # in a corpus set Apollo refuses: its error code


def fixture_set(name: str) -> list[Subgraph]:
    return [
        Subgraph(path.stem, f"http://{path.stem}.example/graphql", path.read_text())
        for path in sorted((FIXTURES / name).glob("*.graphql"))
        if path.name != EXPECTED
    ]


def subgraph(name: str, body: str, imports: list[str] | None = None) -> Subgraph:
    """A federation 2.9 subgraph importing `imports` (default: every directive)."""
    header = FEDERATION.format(json.dumps(ALL_IMPORTS if imports is None else imports))
    return Subgraph(name, f"http://{name}.example/graphql", header + body)


def compose_ok(subgraphs: list[Subgraph]) -> str:
    result = compose(subgraphs)
    assert not result.errors, "\n".join(str(e) for e in result.errors)
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl


def error_codes(result: CompositionResult) -> list[str]:
    return [error.code for error in result.errors]
