"""The audit command's verdicts: how two composers' answers compare, how a case is judged.

The audit itself needs Node and a checkout of the audit (docs/composition.md); these check the
parts that decide what it prints, on real compositions and on answers shaped as a gateway's.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bench.audit import Case, Composed, check_case, compare
from schema.compose import Subgraph, compose

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'


def _composed(*bodies: str) -> Composed:
    subgraphs = [
        Subgraph(f"s{i}", f"http://s{i}.example/graphql", LINK + body)
        for i, body in enumerate(bodies)
    ]
    result = compose(subgraphs)
    return Composed(result.supergraph_sdl, [(e.code, str(e)) for e in result.errors])


def test_equal_when_only_the_order_differs() -> None:
    ours = _composed("type Query { a: Int b: String }")
    reordered = ours.supergraph
    assert reordered is not None
    theirs = Composed(reordered.replace("  a: Int\n  b: String\n", "  b: String\n  a: Int\n"))
    assert theirs.supergraph != ours.supergraph
    assert compare(ours, theirs) == ("equal", [])


def test_a_different_supergraph_says_how_many_lines_differ() -> None:
    verdict, lines = compare(
        _composed("type Query { a: Int }"), _composed("type Query { a: String }")
    )
    assert verdict == "differs (2 lines)"
    assert any(line.startswith("-Query.a") for line in lines)


def test_refusals_name_the_codes() -> None:
    refused = _composed('type Query { t: T } type T @key(fields: "nope") { id: ID }')
    composed = _composed("type Query { a: Int }")
    assert refused.codes == ["KEY_INVALID_FIELDS"]
    assert compare(refused, composed)[0] == "we refuse with KEY_INVALID_FIELDS"
    assert compare(composed, refused)[0] == "Apollo refuses with KEY_INVALID_FIELDS"
    assert compare(refused, refused)[0] == "both refuse"


def _client(answer: dict[str, Any]) -> httpx.Client:
    def respond(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"query": "{ a }"}
        return httpx.Response(200, json=answer)

    return httpx.Client(transport=httpx.MockTransport(respond))


def test_a_case_passes_on_equal_data_and_ignores_errors_it_does_not_mention() -> None:
    case = Case("{ a }", {"data": {"a": 1}})
    assert check_case(_client({"data": {"a": 1}}), "http://gw/graphql", case) is None
    answer = {"data": {"a": 1}, "errors": [{"message": "partial"}]}
    assert check_case(_client(answer), "http://gw/graphql", case) is None


def test_a_case_fails_on_other_data_or_on_errors_it_says_are_absent() -> None:
    assert check_case(
        _client({"data": {"a": 2}}), "http://gw/graphql", Case("{ a }", {"data": {"a": 1}})
    )
    strict = Case("{ a }", {"data": {"a": 1}, "errors": False})
    answer = {"data": {"a": 1}, "errors": [{"message": "partial"}]}
    assert check_case(_client(answer), "http://gw/graphql", strict)


def test_a_case_expecting_errors_needs_them() -> None:
    case = Case("{ a }", {"data": None, "errors": True})
    assert check_case(_client({"data": None}), "http://gw/graphql", case)
    answer = {"data": None, "errors": [{"message": "x"}]}
    assert check_case(_client(answer), "http://gw/graphql", case) is None
