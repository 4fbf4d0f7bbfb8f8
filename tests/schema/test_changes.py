"""The classification of API schema changes (docs/composition.md, "Schema checks"), case by case,
and which operations each change touches."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse

from schema.changes import diff_schemas
from schema.usage import used_elements

BASE = """
directive @localized(lang: String) on FIELD
type Query {
  search(filter: Filter, first: Int = 10): [Result!]!
  node(id: ID!): Node
}
input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5 }
enum Kind { PERSON COMPANY }
union Result = Person | Company
interface Node { id: ID! }
type Person implements Node { id: ID! name: String }
type Company implements Node { id: ID! name: String }
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5 }",
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5, near: String! }",
            ("REQUIRED_INPUT_FIELD_ADDED", "BREAKING", "Filter.near"),
        ),
        (
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5 }",
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5, near: String }",
            ("OPTIONAL_INPUT_FIELD_ADDED", "SAFE", "Filter.near"),
        ),
        (
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5 }",
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5, n: Int = 3 }",
            ("OPTIONAL_INPUT_FIELD_ADDED", "DANGEROUS", "Filter.n"),
        ),
        (
            "input Filter { text: String, kind: Kind = PERSON, limit: Int! = 5 }",
            "input Filter { kind: Kind = PERSON, limit: Int! = 5 }",
            ("INPUT_FIELD_REMOVED", "BREAKING", "Filter.text"),
        ),
        (
            "text: String,",
            "text: String!,",
            ("INPUT_FIELD_CHANGED_TYPE", "BREAKING", "Filter.text"),
        ),
        ("limit: Int! = 5", "limit: Int = 5", ("INPUT_FIELD_CHANGED_TYPE", "SAFE", "Filter.limit")),
        (
            "limit: Int! = 5",
            "limit: Int!",
            ("INPUT_FIELD_DEFAULT_VALUE_REMOVED", "BREAKING", "Filter.limit"),
        ),
        (
            "kind: Kind = PERSON",
            "kind: Kind = COMPANY",
            ("INPUT_FIELD_DEFAULT_VALUE_CHANGE", "DANGEROUS", "Filter.kind"),
        ),
        (
            "first: Int = 10",
            "first: Int = 20",
            ("ARG_DEFAULT_VALUE_CHANGE", "DANGEROUS", "Query.search(first:)"),
        ),
        (
            "search(filter: Filter, first: Int = 10)",
            "search(filter: Filter, first: Int = 10, after: String)",
            ("OPTIONAL_ARG_ADDED", "DANGEROUS", "Query.search(after:)"),
        ),
        (
            "search(filter: Filter, first: Int = 10)",
            "search(filter: Filter)",
            ("ARG_REMOVED", "BREAKING", "Query.search(first:)"),
        ),
        (
            "union Result = Person | Company",
            "union Result = Person",
            ("TYPE_REMOVED_FROM_UNION", "BREAKING", "Result"),
        ),
        (
            "type Company implements Node { id: ID! name: String }",
            "type Company { id: ID! name: String }",
            ("IMPLEMENTED_INTERFACE_REMOVED", "BREAKING", "Company"),
        ),
        (
            "name: String }\ntype Company",
            'name: String @deprecated(reason: "use names") }\ntype Company',
            ("DEPRECATION_ADDED", "SAFE", "Person.name"),
        ),
        (
            "node(id: ID!): Node",
            "node(id: ID!): Person",
            ("FIELD_CHANGED_TYPE", "BREAKING", "Query.node"),
        ),
        (
            "search(filter: Filter, first: Int = 10): [Result!]!",
            "search(filter: Filter, first: Int = 10): [Result]!",
            ("FIELD_CHANGED_TYPE", "BREAKING", "Query.search"),
        ),
        (
            "directive @localized(lang: String) on FIELD",
            "",
            ("DIRECTIVE_REMOVED", "BREAKING", "@localized"),
        ),
    ],
)
def test_classification(old: str, new: str, expected: tuple[str, str, str]) -> None:
    assert old in BASE
    changes = diff_schemas(build_schema(BASE), build_schema(BASE.replace(old, new, 1)))
    assert [(c.code, c.severity, c.coordinate) for c in changes] == [expected]


def test_a_union_member_added_is_dangerous_and_its_type_safe() -> None:
    new = BASE.replace("= Person | Company", "= Person | Company | Place") + "type Place { a: Int }"
    changes = diff_schemas(build_schema(BASE), build_schema(new))
    assert [(c.code, c.severity, c.coordinate) for c in changes] == [
        ("TYPE_ADDED_TO_UNION", "DANGEROUS", "Result"),
        ("TYPE_ADDED", "SAFE", "Place"),
    ]


def test_identical_schemas_have_no_changes() -> None:
    assert diff_schemas(build_schema(BASE), build_schema(BASE)) == []


def test_an_operation_uses_input_types_nested_in_its_variables() -> None:
    """A variable's value is not in the document: every input type inside it counts as used,
    so a required input field added to Filter touches an operation passing `$f: Filter`."""
    schema = build_schema(BASE)
    document = parse(
        "query($f: Filter) { search(filter: $f) { ... on Person { name @localized } } }"
    )
    used = used_elements(schema, document)
    assert {
        "Query",
        "Query.search",
        "Query.search(filter:)",
        "Filter",
        "Kind",
        "Result",
        "Person",
        "Person.name",
        "@localized",
    } <= used
    assert "Company" not in used and "Query.search(first:)" not in used
    new = build_schema(BASE.replace("limit: Int! = 5", "limit: Int! = 5, near: String!"))
    [change] = diff_schemas(schema, new)
    assert change.used_by in used
