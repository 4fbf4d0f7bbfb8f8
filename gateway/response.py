"""Stage 5: shape the merged tree into exactly the response the client asked for.

Walks the client's normalised selection once over the merged data: keeps only selected
fields in the client's order, resolves fragments by each object's `__typename`, answers
`__typename`, and applies the spec's null propagation (a null in a non-null position nulls
the nearest nullable parent). Linear in the size of the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    is_abstract_type,
)

from gateway.selection import Field, SelectionSet

_INVALID = object()  # a null that must propagate to the parent
_MISSING = object()


class ResponseShaper:
    """Built once per API schema; `shape` runs per request."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.possible_types: dict[str, frozenset[str]] = {
            name: frozenset(t.name for t in schema.get_possible_types(type_))
            for name, type_ in schema.type_map.items()
            if is_abstract_type(type_)
        }
        self._field_types: dict[tuple[str, str], GraphQLOutputType] = {}

    def shape(
        self,
        selection_set: SelectionSet,
        root_type: str,
        data: dict[str, Any],
        errors: list[dict[str, Any]],
        introspection: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        run = _Run(self, errors)
        if introspection:
            data = {**data, **introspection}
        result = run.complete_object(selection_set, data, root_type, [], root=True)
        return None if result is _INVALID else result  # type: ignore[return-value]

    def field_type(self, type_name: str, field_name: str) -> GraphQLOutputType:
        key = (type_name, field_name)
        found = self._field_types.get(key)
        if found is None:
            parent = self.schema.type_map[type_name]
            assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            found = self._field_types[key] = parent.fields[field_name].type
        return found


class _Run:
    def __init__(self, shaper: ResponseShaper, errors: list[dict[str, Any]]) -> None:
        self.shaper = shaper
        self.possible = shaper.possible_types
        self.errors = errors

    def complete_object(
        self,
        selection_set: SelectionSet,
        value: dict[str, Any],
        type_name: str,
        path: list[str | int],
        root: bool = False,
    ) -> dict[str, Any] | object:
        result: dict[str, Any] = {}
        for key, item in selection_set.collect_fields(type_name, self.possible).items():
            if item.name == "__typename":
                result[key] = type_name
                continue
            if root and item.name in ("__schema", "__type"):
                result[key] = value.get(key)
                continue
            path.append(key)
            field_type = self.shaper.field_type(type_name, item.name)
            completed = self.complete_value(field_type, item, value.get(key, _MISSING), path)
            path.pop()
            if completed is _INVALID:
                return _INVALID
            result[key] = completed
        return result

    def complete_value(
        self, type_: GraphQLOutputType, item: Field, value: Any, path: list[str | int]
    ) -> Any:
        """Complete a value; `_INVALID` means a null must reach the nearest nullable parent."""
        if isinstance(type_, GraphQLNonNull):
            completed = self.complete_inner(type_.of_type, item, value, path)
            if completed is None:
                self.null_error(path, item)
                return _INVALID
            return completed
        completed = self.complete_inner(type_, item, value, path)
        return None if completed is _INVALID else completed

    def complete_inner(
        self, type_: GraphQLOutputType, item: Field, value: Any, path: list[str | int]
    ) -> Any:
        if value is None or value is _MISSING:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                return self.bad_value(path, "a list")
            items = []
            inner = type_.of_type
            for index, element in enumerate(value):
                path.append(index)
                completed = self.complete_value(inner, item, element, path)
                path.pop()
                if completed is _INVALID:
                    return _INVALID
                items.append(completed)
            return items
        if item.selection_set is None:
            if isinstance(type_, GraphQLEnumType) and value not in type_.values:
                return self.bad_value(path, f"a value of enum {type_.name}")
            return value
        if not isinstance(value, dict):
            return self.bad_value(path, "an object")
        if isinstance(type_, GraphQLAbstractType):
            runtime = value.get("__typename")
            # An @interfaceObject subgraph names the interface itself; that is enough as long
            # as nothing type-specific was selected (else the planner fetched the real type).
            if runtime != type_.name and (
                not isinstance(runtime, str) or runtime not in self.possible.get(type_.name, ())
            ):
                return self.bad_value(path, f"an object of a type implementing {type_.name}")
        else:
            runtime = type_.name  # type: ignore[attr-defined]
        return self.complete_object(item.selection_set, value, runtime, path)

    def null_error(self, path: list[str | int], item: Field) -> None:
        """Add the spec's error unless an error already explains this null."""
        for error in self.errors:
            error_path = error.get("path")
            if error_path is not None and path[: len(error_path)] == error_path:
                return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {item.name}.",
                "path": list(path),
                "extensions": {"code": "NULL_IN_NON_NULL_FIELD"},
            }
        )

    def bad_value(self, path: list[str | int], expected: str) -> None:
        self.errors.append(
            {
                "message": f"A subgraph returned a value that is not {expected}.",
                "path": list(path),
                "extensions": {"code": "SUBREQUEST_MALFORMED_RESPONSE"},
            }
        )
        return None
