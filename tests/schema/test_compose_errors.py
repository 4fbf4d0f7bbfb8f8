"""Every composition error, each from the smallest subgraphs that cause it.

Where Apollo has the same rule, a second test checks @apollo/composition reports the same code
for the same subgraphs, so our codes stay the ones people can look up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from compose_testing import error_codes, subgraph

from bench.apollo_composition import ApolloCompose
from schema.compose import Subgraph, compose


@dataclass(frozen=True)
class Case:
    code: str
    subgraphs: list[Subgraph]
    subgraph: str | None  # the subgraph the error names
    element: str | None  # the element the error names
    apollo: bool = True  # whether @apollo/composition has the same rule


QUERY_T = 'type Query { t: T } type T @key(fields: "id") { id: ID! '
CASES = [
    Case(
        "INVALID_FIELD_SHARING",
        [
            subgraph("a", "type Query { hello: String }"),
            subgraph("b", "type Query { hello: String }"),
        ],
        "a",
        "Query.hello",
    ),
    Case(
        "FIELD_TYPE_MISMATCH",
        [
            subgraph("a", "type Query { v: V @shareable } type V @shareable { x: String }"),
            subgraph("b", "type Query { v: V @shareable } type V @shareable { x: Int }"),
        ],
        "b",
        "V.x",
    ),
    Case(
        "EXTERNAL_MISSING_ON_BASE",
        [
            subgraph("a", QUERY_T + 'x: Int @external y: Int @requires(fields: "x") }'),
            subgraph(
                "b",
                'type T @key(fields: "id") { id: ID! x: Int @external'
                ' z: Int @requires(fields: "x") }',
            ),
        ],
        "a",
        "T.x",
    ),
    Case(
        "EXTERNAL_TYPE_MISMATCH",
        [
            subgraph("a", QUERY_T + "x: Int! }"),
            subgraph(
                "b",
                'type T @key(fields: "id") { id: ID! x: Int @external'
                ' y: Int @requires(fields: "x") }',
            ),
        ],
        "b",
        "T.x",
    ),
    Case(
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        [subgraph("a", QUERY_T + 'x: Int y: Int @requires(fields: "x") }')],
        "a",
        "T.y",
    ),
    Case(
        "REQUIRES_INVALID_FIELDS",
        [subgraph("a", QUERY_T + 'y: Int @requires(fields: "nope") }')],
        "a",
        "T.y",
    ),
    Case(
        "PROVIDES_FIELDS_MISSING_EXTERNAL",
        [
            subgraph(
                "a",
                'type Query { u: U @provides(fields: "name") }'
                ' type U @key(fields: "id") { id: ID! name: String }',
            )
        ],
        "a",
        "Query.u",
    ),
    Case(
        "PROVIDES_INVALID_FIELDS",
        [
            subgraph(
                "a",
                'type Query { u: U @provides(fields: "nope") }'
                ' type U @key(fields: "id") { id: ID! }',
            )
        ],
        "a",
        "Query.u",
    ),
    Case(
        "PROVIDES_ON_NON_OBJECT_FIELD",
        [subgraph("a", 'type Query { n: Int @provides(fields: "x") }')],
        "a",
        "Query.n",
    ),
    Case(
        "KEY_INVALID_FIELDS",
        [subgraph("a", 'type Query { t: T } type T @key(fields: "missing") { id: ID! }')],
        "a",
        "T",
    ),
    Case(
        "KEY_INVALID_FIELDS",
        [subgraph("a", 'type Query { t: T } type T @key(fields: "id {") { id: ID! }')],
        "a",
        "T",
    ),
    Case(
        "KEY_FIELDS_HAS_ARGS",
        [subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id(x: Int): ID! }')],
        "a",
        "T",
    ),
    Case(
        "KEY_FIELDS_SELECT_INVALID_TYPE",
        [
            subgraph(
                "a",
                'type Query { t: T } type T @key(fields: "n { id }") { n: N! }'
                " interface N { id: ID! } type M implements N { id: ID! }",
            )
        ],
        "a",
        "T",
    ),
    Case(
        "EXTERNAL_UNUSED",
        [subgraph("a", QUERY_T + "x: Int @external }")],
        "a",
        "T.x",
    ),
    Case(
        "EXTERNAL_ON_INTERFACE",
        [subgraph("a", "type Query { i: I } interface I { x: Int @external }")],
        "a",
        "I.x",
    ),
    Case(
        "REQUIRES_UNSUPPORTED_ON_INTERFACE",
        [subgraph("a", 'type Query { i: I } interface I { x: Int y: Int @requires(fields: "x") }')],
        "a",
        "I.y",
    ),
    Case(
        "PROVIDES_UNSUPPORTED_ON_INTERFACE",
        [
            subgraph(
                "a",
                'type Query { i: I } interface I { u: U @provides(fields: "id") }'
                ' type U @key(fields: "id") { id: ID! }',
            )
        ],
        "a",
        "I.u",
    ),
    Case(
        "OVERRIDE_FROM_SELF_ERROR",
        [subgraph("a", 'type Query { x: Int @override(from: "a") }')],
        "a",
        "Query.x",
    ),
    Case(
        "OVERRIDE_SOURCE_HAS_OVERRIDE",
        [
            subgraph("a", 'type Query { x: Int @override(from: "b") }'),
            subgraph("b", 'type Query { x: Int @override(from: "a") }'),
        ],
        "a",
        "Query.x",
    ),
    Case(
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        [
            subgraph(
                "a",
                QUERY_T + 'x: Int @external @override(from: "b") y: Int @requires(fields: "x") }',
            ),
            subgraph("b", 'type T @key(fields: "id") { id: ID! x: Int }'),
        ],
        "a",
        "T.x",
    ),
    Case(
        "OVERRIDE_LABEL_INVALID",
        [
            subgraph("a", 'type Query { x: Int @override(from: "b", label: "percent(101)") }'),
            subgraph("b", "type Query { x: Int }"),
        ],
        "a",
        "Query.x",
    ),
    Case(
        "INTERFACE_OBJECT_USAGE_ERROR",
        [subgraph("a", "type Query { n: N } type N @interfaceObject { id: ID! }")],
        "a",
        "N",
    ),
    Case(
        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
        [
            subgraph(
                "a",
                'type Query { n: N } interface N @key(fields: "id") { id: ID! }'
                " type A implements N { id: ID! }",
            )
        ],
        "a",
        "A",
    ),
    Case(
        "TYPE_KIND_MISMATCH",
        [
            subgraph("a", "type Query { t: T } type T { x: Int }"),
            subgraph("b", "type Query { u: T } interface T { x: Int }"),
        ],
        None,
        "T",
    ),
    Case(
        "ENUM_VALUE_MISMATCH",
        [
            subgraph("a", "type Query { e(e: E): E } enum E { X Y }"),
            subgraph("b", "type Query { f: E } enum E { X }"),
        ],
        "b",
        "E.Y",
    ),
    Case(
        "EMPTY_MERGED_ENUM_TYPE",
        [
            subgraph("a", "type Query { e(e: E): Int } enum E { X }"),
            subgraph("b", "type Query { f(e: E): Int } enum E { Y }"),
        ],
        None,
        "E",
    ),
    Case(
        "EMPTY_MERGED_INPUT_TYPE",
        [
            subgraph("a", "type Query { e(i: I): Int } input I { x: Int }"),
            subgraph("b", "type Query { f(i: I): Int } input I { y: Int }"),
        ],
        None,
        "I",
    ),
    Case(
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
        [
            subgraph("a", "type Query { e(i: I): Int } input I { x: Int y: Int! }"),
            subgraph("b", "type Query { f(i: I): Int } input I { x: Int }"),
        ],
        "b",
        "I.y",
    ),
    Case(
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        [
            subgraph("a", "type Query { e(x: Int!): Int @shareable }"),
            subgraph("b", "type Query { e: Int @shareable }"),
        ],
        "b",
        "Query.e(x:)",
    ),
    Case(
        "FIELD_ARGUMENT_TYPE_MISMATCH",
        [
            subgraph("a", "type Query { e(x: Int): Int @shareable }"),
            subgraph("b", "type Query { e(x: String): Int @shareable }"),
        ],
        "b",
        "Query.e(x:)",
    ),
    Case(
        "FIELD_ARGUMENT_DEFAULT_MISMATCH",
        [
            subgraph("a", "type Query { e(x: Int = 1): Int @shareable }"),
            subgraph("b", "type Query { e(x: Int = 2): Int @shareable }"),
        ],
        "b",
        "Query.e(x:)",
    ),
    Case(
        "INPUT_FIELD_DEFAULT_MISMATCH",
        [
            subgraph("a", "type Query { e(i: I): Int } input I { x: Int = 1 }"),
            subgraph("b", "type Query { f(i: I): Int } input I { x: Int = 2 }"),
        ],
        "b",
        "I.x",
    ),
    Case("INVALID_GRAPHQL", [subgraph("a", "type Query { x: Nope }")], "a", None),
    Case("INVALID_GRAPHQL", [subgraph("a", "type Query { x: Int")], "a", None),
    Case(
        "INVALID_LINK_DIRECTIVE_USAGE",
        [subgraph("a", "type Query { x: Int }", ["@key", "@nonsense"])],
        "a",
        None,
    ),
    Case(
        "ROOT_QUERY_USED",
        [subgraph("a", "schema { query: Root } type Root { q: Query } type Query { x: Int }")],
        "a",
        "Query",
    ),
    Case("NO_QUERIES", [subgraph("a", "type Mutation { x: Int }")], None, None),
    Case(
        "INTERFACE_FIELD_NO_IMPLEM",
        [
            subgraph(
                "a",
                "type Query { i: I } interface I { a: Int b: Int }"
                " type X implements I { a: Int b: Int }",
            ),
            subgraph(
                "b",
                "type Query { j: I } interface I { a: Int } type T implements I { a: Int }",
            ),
        ],
        None,
        None,
    ),
    Case(
        "REFERENCED_INACCESSIBLE",
        [subgraph("a", "type Query { s: S } type S @inaccessible { x: Int }")],
        None,
        "Query.s",
    ),
    Case(
        "ONLY_INACCESSIBLE_CHILDREN",
        [subgraph("a", "type Query { s: S x: Int } type S { x: Int @inaccessible }")],
        None,
        "S",
    ),
    Case(
        "REQUIRED_INACCESSIBLE",
        [subgraph("a", "type Query { x(a: Int! @inaccessible): Int }")],
        None,
        "Query.x(a:)",
    ),
    Case(
        "QUERY_ROOT_TYPE_INACCESSIBLE",
        [subgraph("a", "type Query @inaccessible { x: Int }")],
        None,
        "Query",
    ),
    Case(
        "IMPLEMENTED_BY_INACCESSIBLE",
        [
            subgraph(
                "a",
                "type Query { i: I } interface I { x: Int y: Int }"
                " type T implements I { x: Int @inaccessible y: Int }",
            )
        ],
        None,
        "T.x",
    ),
    Case(
        "SATISFIABILITY_ERROR",
        [
            subgraph("a", "type Query { a: V } type V @shareable { x: Int }"),
            subgraph("b", "type Query { b: V } type V @shareable { x: Int y: Int }"),
        ],
        "a",
        "V.y",
    ),
    Case(
        "SATISFIABILITY_ERROR",
        [
            subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! }'),
            subgraph("b", 'type T @key(fields: "id", resolvable: false) { id: ID! x: Int }'),
        ],
        "a",
        "T.x",
    ),
    Case(
        "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
        [
            subgraph(
                "a",
                'type Query { i: I } interface I @key(fields: "id") { id: ID! }'
                ' type A implements I @key(fields: "id") { id: ID! }',
            ),
            subgraph(
                "b",
                'type Query { x: Int } type I @key(fields: "id") @interfaceObject'
                " @authenticated { id: ID! }",
            ),
        ],
        "b",
        "I",
    ),
    Case(
        "INVALID_SUBGRAPH_NAME",
        [subgraph("a", "type Query { x: Int }"), subgraph("a", "type Query { y: Int }")],
        "a",
        None,
        apollo=False,
    ),
    Case("NO_SUBGRAPHS", [], None, None, apollo=False),
]


def _id(case: Case) -> str:
    return case.code


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_error(case: Case) -> None:
    result = compose(case.subgraphs)
    assert result.supergraph_sdl is None
    assert case.code in error_codes(result), [str(e) for e in result.errors]
    error = next(e for e in result.errors if e.code == case.code)
    assert (error.subgraph, error.element) == (case.subgraph, case.element), str(error)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.apollo], ids=_id)
def test_apollo_reports_the_same_code(case: Case, apollo: ApolloCompose) -> None:
    theirs = apollo(case.subgraphs)
    assert case.code in [e["code"] for e in theirs.get("errors", [])], theirs
