"""Satisfiability: which subgraph sets compose, decided as @apollo/composition decides.

Each set under fixtures/satisfiability/ has Apollo's answer committed in `expected/`: the
supergraph it composes, or its SATISFIABILITY_ERRORs (the unsatisfiable query each shows and
the subgraphs it explains), so these tests check without Node; the slow tests check that the
committed answers are still what Apollo says.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from compose_testing import FIXTURES, fixture_set, subgraph

from bench.apollo_composition import ApolloCompose, normalise
from schema.compose import CompositionResult, Subgraph, compose

SETS = FIXTURES / "satisfiability"
COMPOSING = sorted(p.parent.parent.name for p in SETS.glob("*/expected/supergraph.graphql"))
REFUSED = sorted(p.parent.parent.name for p in SETS.glob("*/expected/errors.json"))
_REASONS_HEADER = "\ncannot be satisfied by the subgraphs because:\n"


def _subgraphs(name: str) -> list[Subgraph]:
    return fixture_set(f"satisfiability/{name}")


def _expected_errors(name: str) -> list[dict[str, Any]]:
    expected: list[dict[str, Any]] = json.loads((SETS / name / "expected/errors.json").read_text())
    return expected


def _summary(code: str | None, message: str) -> dict[str, Any]:
    """An error as the committed answers hold it: code, witness query, subgraphs explained."""
    query, _, reasons = message.partition(_REASONS_HEADER)
    return {
        "code": code,
        "query": query.removeprefix("The following supergraph API query:\n"),
        "subgraphs": sorted(set(re.findall(r'^- from subgraph "([^"]+)"', reasons, re.M))),
    }


def _our_summaries(result: CompositionResult) -> list[dict[str, Any]]:
    return sorted((_summary(e.code, e.message) for e in result.errors), key=lambda s: s["query"])


def test_every_set_has_an_answer() -> None:
    sets = sorted(p.name for p in SETS.iterdir() if p.is_dir())
    assert sets == sorted(COMPOSING + REFUSED)
    assert len(COMPOSING) >= 6 and len(REFUSED) >= 4


@pytest.mark.parametrize("name", COMPOSING)
def test_composes_as_apollo_does(name: str) -> None:
    result = compose(_subgraphs(name))
    assert not result.errors, "\n".join(str(e) for e in result.errors)
    assert result.supergraph_sdl is not None
    expected = normalise((SETS / name / "expected/supergraph.graphql").read_text())
    ours = normalise(result.supergraph_sdl)
    assert ours == expected, "\n".join(difflib.unified_diff(expected, ours, lineterm=""))


@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_apollos_queries(name: str) -> None:
    result = compose(_subgraphs(name))
    assert result.supergraph_sdl is None
    assert _our_summaries(result) == _expected_errors(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", COMPOSING)
def test_committed_supergraph_is_apollos(name: str, apollo: ApolloCompose) -> None:
    theirs = apollo(_subgraphs(name))
    assert "errors" not in theirs, theirs
    committed = (SETS / name / "expected/supergraph.graphql").read_text()
    assert normalise(theirs["supergraph"]) == normalise(committed)


@pytest.mark.slow
@pytest.mark.parametrize("name", REFUSED)
def test_committed_errors_are_apollos(name: str, apollo: ApolloCompose) -> None:
    theirs = apollo(_subgraphs(name))
    summaries = sorted(
        (_summary(e["code"], e["message"]) for e in theirs.get("errors", [])),
        key=lambda s: s["query"],
    )
    assert summaries == _expected_errors(name)


def test_message_shows_the_query_and_each_subgraphs_dead_end() -> None:
    result = compose(_subgraphs("refused_requires_unmet"))
    message = next(e.message for e in result.errors if "shippingCost" in e.message)
    assert message == (
        "The following supergraph API query:\n"
        "{\n"
        '  product(id: "<any id>") {\n'
        "    shippingCost\n"
        "  }\n"
        "}\n"
        "cannot be satisfied by the subgraphs because:\n"
        '- from subgraph "catalogue": cannot find field "Product.shippingCost".\n'
        '- from subgraph "shipping": cannot satisfy @requires conditions on field'
        ' "Product.shippingCost".'
    )


def test_key_jump_message_names_the_key_and_the_subgraph_it_starts_from() -> None:
    result = compose(_subgraphs("refused_key_fields_unavailable"))
    error = next(e for e in result.errors if e.element == "Item.stock")
    assert error.subgraph == "shop"
    assert (
        'cannot move to subgraph "warehouse" using @key(fields: "sku") of "Item", the key'
        ' field(s) cannot be resolved from subgraph "shop"'
    ) in error.message


# -- smaller cases, each with Apollo's decision ----------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    subgraphs: list[Subgraph]
    satisfiable: bool


T_IN_A = 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int }'
CASES = [
    Case(
        "progressive override: either subgraph resolves the field, whichever the label says",
        [
            subgraph("a", T_IN_A),
            subgraph(
                "b",
                'type T @key(fields: "id") { id: ID!'
                ' x: Int @override(from: "a", label: "percent(50)") }',
            ),
        ],
        True,
    ),
    Case(
        "override moves the field to a subgraph no key reaches",
        [
            subgraph("a", T_IN_A),
            subgraph(
                "b",
                'type T @key(fields: "id", resolvable: false)'
                ' { id: ID! x: Int @override(from: "a") }',
            ),
        ],
        False,
    ),
    Case(
        "a field returning Query lets a plan start again in any subgraph",
        [
            subgraph("a", "type Query { viewer: Query @shareable a: Int }"),
            subgraph("b", "type Query { viewer: Query @shareable b: Int }"),
        ],
        True,
    ),
    Case(
        "a mutation's result is completed through a key",
        [
            subgraph(
                "a",
                "type Query { t: T } type Mutation { make: T }"
                ' type T @key(fields: "id") { id: ID! }',
            ),
            subgraph("b", 'type T @key(fields: "id") { id: ID! y: Int }'),
        ],
        True,
    ),
    Case(
        "a nested key: its inner fields are collected through another jump",
        [
            subgraph(
                "a",
                'type Query { t: T } type T @key(fields: "id") { id: ID! v: V @shareable }'
                ' type V @key(fields: "id") { id: ID! }',
            ),
            subgraph("b", 'type V @key(fields: "id") { id: ID! code: String @shareable }'),
            subgraph(
                "c",
                'type T @key(fields: "v { code }") { v: V z: Int }'
                " type V @shareable { code: String }",
            ),
        ],
        True,
    ),
    Case(
        "a @requires whose condition is only in the subgraph being left",
        [
            subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! w: Int }'),
            subgraph(
                "b",
                'type T @key(fields: "id") { id: ID! w: Int @external'
                ' r: Int @requires(fields: "w") }',
            ),
        ],
        True,
    ),
]


def _case_id(case: Case) -> str:
    return case.name


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case(case: Case) -> None:
    result = compose(case.subgraphs)
    if case.satisfiable:
        assert not result.errors, "\n".join(str(e) for e in result.errors)
    else:
        assert {e.code for e in result.errors} == {"SATISFIABILITY_ERROR"}, result.errors


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_as_apollo_decides(case: Case, apollo: ApolloCompose) -> None:
    theirs = apollo(case.subgraphs)
    if case.satisfiable:
        assert "errors" not in theirs, theirs
    else:
        assert {e["code"] for e in theirs.get("errors", [])} == {"SATISFIABILITY_ERROR"}, theirs


def test_many_shareable_subgraphs_stay_fast() -> None:
    """Eight subgraphs sharing a chain of twenty types: every prefix of the chain can be
    planned by any of 2^8 subsets, which a walk remembering only dominated states avoids."""
    chain = (
        " ".join(f"type T{i} @shareable {{ n: Int next: T{i + 1} }}" for i in range(20))
        + " type T20 @shareable { n: Int }"
    )
    subgraphs = [
        subgraph(f"s{k}", f"type Query {{ root: T0 @shareable }} {chain}") for k in range(8)
    ]
    started = time.perf_counter()
    result = compose(subgraphs)
    elapsed = time.perf_counter() - started
    assert not result.errors
    assert elapsed < 20, f"composing took {elapsed:.1f}s"
