"""Hypothesis strategies for GraphQL-over-HTTP requests, drawn from an API schema.

    valid_requests(schema)    operations the schema accepts: fields with arguments of the right
                              type (literals and variables), aliases, named and inline
                              fragments, @skip/@include, __typename, a little introspection
    damaged_requests(schema)  one of those with one defect: an unknown field, a variable of the
                              wrong type or missing, syntax damage, a huge number, deep
                              nesting, stray unicode or NUL, a fragment cycle, a wrong name
    json_values, request_shaped_bodies, raw_bodies
                              what a careless or hostile client may send instead

Every response key in a selection set (fragments included) is unique, so generated
operations never trip the "fields can be merged" rule: validity is by construction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_composite_type,
)
from hypothesis import strategies as st

_Composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
# Names for aliases and operations; a fixed list because regex-drawn names cost most of the
# drawing time, and uniqueness comes from a serial number anyway.
_NAME = st.sampled_from(("a", "b", "Z", "alias", "x_1", "camelCase", "snake_case", "Other", "q"))
# Content types a client may put on a POST: the ones the gateway reads and the ones it refuses.
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "application/graphql+json",
    "application/graphql-response+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "",
)


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any]
    operation_name: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"query": self.query}
        if self.variables:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


def to_json(value: Any) -> bytes:
    """JSON as a client would send it: integers of any size, non-ASCII text as is."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


class _OperationWriter:
    """Writes one operation, collecting its variables and fragment definitions on the way."""

    def __init__(self, draw: st.DrawFn, schema: GraphQLSchema, max_depth: int) -> None:
        self.draw = draw
        self.schema = schema
        self.max_depth = max_depth
        self.definitions: list[str] = []
        self.variables: dict[str, Any] = {}
        self.fragments: list[str] = []
        self.serial = count()

    def operation(self, kind: str, root: GraphQLObjectType, name: str | None) -> str:
        selection_set = self.selection_set(root, 1, at_root=kind == "query")
        head = kind if name is None else f"{kind} {name}"
        if self.definitions:
            head += "(" + ", ".join(self.definitions) + ")"
        # An anonymous query without variables is written the short way, as clients do.
        if kind == "query" and head == "query" and self.draw(st.booleans()):
            head = ""
        return " ".join([head, selection_set, *self.fragments]).strip()

    def selection_set(self, parent: _Composite, depth: int, *, at_root: bool = False) -> str:
        return "{ " + " ".join(self.selections(parent, depth, set(), at_root)) + " }"

    def selections(
        self,
        parent: _Composite,
        depth: int,
        keys: set[str],
        at_root: bool = False,
        in_fragments: int = 0,
    ) -> list[str]:
        """1-3 selections on `parent`; `keys` are the response keys taken in this scope,
        `in_fragments` how many fragments deep this scope already is."""
        kinds = ["typename"]
        if in_fragments < 3:
            kinds += ["inline", "fragment"]
        if not isinstance(parent, GraphQLUnionType):
            kinds += ["field"] * 4
        if at_root:
            kinds.append("introspection")
        items: list[str] = []
        for _ in range(self.draw(st.integers(1, 3))):
            kind = self.draw(st.sampled_from(kinds))
            if kind == "field":
                assert not isinstance(parent, GraphQLUnionType), "a union has no fields"
                item = self.field(parent, depth, keys)
            elif kind == "typename":
                item = f"{self.key('__typename', keys)}__typename {self.directives()}"
            elif kind == "introspection":
                item = self.introspection(keys)
            else:
                condition = self.draw(st.sampled_from(self.conditions(parent)))
                inner = " ".join(self.selections(condition, depth, keys, at_root, in_fragments + 1))
                if kind == "inline":
                    on = f"on {condition.name} " if condition is not parent or self.coin() else ""
                    item = f"... {on}{self.directives()}{{ {inner} }}"
                else:
                    name = f"F{next(self.serial)}"
                    self.fragments.append(f"fragment {name} on {condition.name} {{ {inner} }}")
                    item = f"...{name}{self.directives()}"
            items.append(item)
        return items

    def conditions(self, parent: _Composite) -> list[_Composite]:
        """Types a fragment inside `parent` may be on: itself, its possible types, and the
        interfaces those implement."""
        if isinstance(parent, GraphQLObjectType):
            return [parent, *parent.interfaces]
        possible = list(self.schema.get_possible_types(parent))
        interfaces = {i.name: i for member in possible for i in member.interfaces}
        return [parent, *possible, *interfaces.values()]

    def field(
        self, parent: GraphQLObjectType | GraphQLInterfaceType, depth: int, keys: set[str]
    ) -> str:
        fields = parent.fields
        if depth >= self.max_depth:
            fields = {
                n: f for n, f in fields.items() if not is_composite_type(get_named_type(f.type))
            }
        if not fields:
            return f"{self.key('__typename', keys)}__typename {self.directives()}"
        name: str = self.draw(st.sampled_from(sorted(fields)))
        definition: GraphQLField = fields[name]
        text: str = (
            self.key(name, keys) + name + self.arguments(definition) + " " + self.directives()
        )
        named = get_named_type(definition.type)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            text += self.selection_set(named, depth + 1)
        return text

    def key(self, name: str, keys: set[str]) -> str:
        """An alias when the name's key is taken or the draw wants one; "" for none."""
        if name not in keys and self.draw(st.integers(0, 3)) != 0:
            keys.add(name)
            return ""
        alias: str = self.draw(_NAME)
        while alias in keys:
            alias += str(next(self.serial))
        keys.add(alias)
        return alias + ": "

    def arguments(self, definition: GraphQLField) -> str:
        given = []
        for name, argument in definition.args.items():
            required = (
                isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
            )
            if required or self.coin():
                given.append(f"{name}: {self.argument_value(argument.type)}")
        return "(" + ", ".join(given) + ")" if given else ""

    def argument_value(self, type_: GraphQLInputType) -> str:
        """A literal, a variable with its value, or a variable left to its declared default."""
        value = self.value(type_)
        way = self.draw(st.sampled_from(("literal", "variable", "default")))
        if way == "literal":
            return literal(value, type_)
        variable = f"v{next(self.serial)}"
        if way == "default" and not isinstance(type_, GraphQLNonNull):
            self.definitions.append(f"${variable}: {type_} = {literal(value, type_)}")
        else:
            self.definitions.append(f"${variable}: {type_}")
            self.variables[variable] = value
        return "$" + variable

    def directives(self) -> str:
        if self.draw(st.integers(0, 3)) != 0:
            return ""
        directive = self.draw(st.sampled_from(("skip", "include")))
        if self.coin():
            return f"@{directive}(if: {'true' if self.coin() else 'false'}) "
        variable = f"v{next(self.serial)}"
        self.definitions.append(f"${variable}: Boolean!")
        self.variables[variable] = self.coin()
        return f"@{directive}(if: ${variable}) "

    def introspection(self, keys: set[str]) -> str:
        if self.coin():
            key = self.key("__schema", keys)
            return f"{key}__schema {self.directives()}{{ queryType {{ name }} }}"
        name = self.draw(st.sampled_from(sorted(self.schema.type_map)))
        key = self.key("__type", keys)
        return f'{key}__type(name: "{name}") {self.directives()}{{ name kind }}'

    def value(self, type_: GraphQLInputType, depth: int = 0) -> Any:
        """A JSON value the type accepts (an enum by its name)."""
        if isinstance(type_, GraphQLNonNull):
            return self.present_value(type_.of_type, depth)
        if depth > 2 or self.draw(st.integers(0, 4)) == 0:
            return None
        return self.present_value(type_, depth)

    def present_value(self, type_: GraphQLInputType, depth: int) -> Any:
        if isinstance(type_, GraphQLList):
            size = 0 if depth > 2 else self.draw(st.integers(0, 3))
            return [self.value(type_.of_type, depth + 1) for _ in range(size)]
        if isinstance(type_, GraphQLInputObjectType):
            fields = {}
            for name, field in type_.fields.items():
                required = (
                    isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
                )
                if required or self.coin():
                    fields[name] = self.value(field.type, depth + 1)
            return fields
        if isinstance(type_, GraphQLEnumType):
            return self.draw(st.sampled_from(sorted(type_.values)))
        assert isinstance(type_, GraphQLScalarType), f"an input type, not {type_}"
        return self.draw(_SCALARS.get(type_.name, st.text(max_size=12)))

    def coin(self) -> bool:
        return self.draw(st.booleans())


_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "String": st.text(max_size=20),
    "Boolean": st.booleans(),
    "ID": st.text(max_size=10) | st.integers(0, 10**6).map(str),
}


def literal(value: Any, type_: GraphQLInputType) -> str:
    """`value` written as a GraphQL literal of `type_`."""
    if value is None:
        return "null"
    if isinstance(type_, GraphQLNonNull):
        return literal(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        return "[" + ", ".join(literal(item, type_.of_type) for item in value) + "]"
    if isinstance(type_, GraphQLInputObjectType):
        return (
            "{"
            + ", ".join(f"{k}: {literal(v, type_.fields[k].type)}" for k, v in value.items())
            + "}"
        )
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


@st.composite
def valid_requests(draw: st.DrawFn, schema: GraphQLSchema, max_depth: int = 4) -> GraphQLRequest:
    """An operation the schema accepts (sometimes beside a second one, chosen by name)."""
    roots = [("query", schema.query_type)]
    if schema.mutation_type is not None:
        roots.append(("mutation", schema.mutation_type))
    kind, root = draw(st.sampled_from(roots))
    assert root is not None, "an API schema has a query type"
    writer = _OperationWriter(draw, schema, max_depth)
    named = draw(st.booleans())
    name = draw(_NAME) if named else None
    query = writer.operation(kind, root, name)
    if named and draw(st.booleans()):
        # A second operation makes operationName necessary.
        other = "Other" if name != "Other" else "Another"
        query += f" query {other} {{ __typename }}"
        return GraphQLRequest(query, writer.variables, name)
    return GraphQLRequest(query, writer.variables, name if draw(st.booleans()) else None)


_OPERATION_KIND = re.compile(r"^(?:(?:query|mutation)\b)?\s*")
_Damage = Callable[[st.DrawFn, GraphQLRequest], GraphQLRequest]


def _insert(draw: st.DrawFn, text: str, piece: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + piece + text[at:]


def _unknown_field(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    braces = [i for i, c in enumerate(request.query) if c == "{"]
    at = draw(st.sampled_from(braces)) + 1
    name = draw(_NAME)
    return replace(request, query=f"{request.query[:at]} zz{name} {request.query[at:]}")


def _wrong_variable(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    variables = dict(request.variables)
    name = draw(st.sampled_from(sorted(variables))) if variables else "undeclared"
    variables[name] = draw(json_values)
    return replace(request, variables=variables)


def _missing_variable(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    if not request.variables:
        return replace(
            request, query=request.query.replace("{", "{ __type(name: $missing) { name } ", 1)
        )
    variables = dict(request.variables)
    del variables[draw(st.sampled_from(sorted(variables)))]
    return replace(request, variables=variables)


def _syntax(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    query = request.query
    start = draw(st.integers(0, len(query)))
    end = draw(st.integers(start, min(len(query), start + 5)))
    junk = draw(st.text(alphabet="{}()[]:$@!.,\"'#\\ \n=|&", max_size=4))
    return replace(request, query=query[:start] + junk + query[end:])


def _huge_number(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    number: int = 10 ** draw(st.integers(19, 400)) * draw(st.sampled_from((1, -1)))
    if len(request.variables) > 0 and draw(st.booleans()):
        variables = dict(request.variables)
        variables[draw(st.sampled_from(sorted(variables)))] = number
        return replace(request, variables=variables)
    written = str(number) if draw(st.booleans()) else f"{number}.5e{draw(st.integers(-999, 999))}"
    piece = f"__typename @include(if: {written}) " if draw(st.booleans()) else f"first: {written}"
    return replace(request, query=request.query.replace("{", "{ " + piece + " ", 1))


def _deep_nesting(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    depth = draw(st.integers(30, 3000))
    shape = draw(st.sampled_from(("fragments", "fields", "list", "variables")))
    if shape == "fragments":
        query = "{ " + "... { " * depth + "__typename" + " }" * depth + " }"
    elif shape == "fields":
        query = "{ " + "__typename { " * depth + "x" + " }" * depth + " }"
    elif shape == "list":
        query = "{ __type(name: " + "[" * depth + '"Query"' + "]" * depth + ") { name } }"
    else:
        # Shallower: hypothesis prints each drawn value, recursively.
        nested: Any = 1
        for _ in range(depth % 150):
            nested = [nested]
        return replace(request, variables={**request.variables, "deep": nested})
    return replace(request, query=query)


def _stray_characters(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    piece = draw(
        st.text(min_size=1, max_size=8)
        | st.just("\x00")
        | st.sampled_from(("\ufeff", "\u2028", "\U0001f600", "\x00\x00"))
    )
    return replace(request, query=_insert(draw, request.query, piece))


def _fragment_cycle(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    cycle = " fragment A on Query { ...B } fragment B on Query { ...A }"
    return replace(request, query=request.query.replace("{", "{ ...A ", 1) + cycle)


def _operation_name(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    return replace(request, operation_name=draw(st.text(max_size=12)))


def _other_kind(draw: st.DrawFn, request: GraphQLRequest) -> GraphQLRequest:
    kind = draw(st.sampled_from(("subscription", "mutation", "query")))
    return replace(request, query=_OPERATION_KIND.sub(kind + " ", request.query, count=1))


_DAMAGES: tuple[_Damage, ...] = (
    _unknown_field,
    _wrong_variable,
    _missing_variable,
    _syntax,
    _huge_number,
    _deep_nesting,
    _stray_characters,
    _fragment_cycle,
    _operation_name,
    _other_kind,
)


@st.composite
def damaged_requests(draw: st.DrawFn, schema: GraphQLSchema) -> GraphQLRequest:
    """A valid request with one defect (which may, by chance, leave it valid)."""
    request = draw(valid_requests(schema))
    damage = draw(st.sampled_from(_DAMAGES))
    return damage(draw, request)


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def request_shaped_bodies(schema: GraphQLSchema) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the request's keys, each holding any JSON value (or a real query)."""
    query = json_values | valid_requests(schema).map(lambda request: request.query)
    return st.fixed_dictionaries(
        {},
        optional={
            "query": query,
            "variables": json_values,
            "operationName": json_values,
            "extensions": json_values,
        },
    )


raw_bodies: st.SearchStrategy[tuple[str, bytes]] = st.tuples(
    st.sampled_from(CONTENT_TYPES)
    # Printable ASCII without the surrounding blanks a header value cannot carry.
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.strip),
    st.binary(max_size=2000)
    | st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


__all__ = [
    "CONTENT_TYPES",
    "GraphQLRequest",
    "damaged_requests",
    "json_values",
    "literal",
    "raw_bodies",
    "request_shaped_bodies",
    "to_json",
    "valid_requests",
]
