"""Stage 5: shape the merged tree into exactly the response the client asked for.

Walks the client's normalised selection once over the merged data: keeps only selected
fields in the client's order, resolves fragments by each object's `__typename`, answers
`__typename`, and applies the spec's null propagation (a null in a non-null position nulls
the nearest nullable parent). A field the caller is not authorized to see (`Field.denied`)
becomes such a null, with an `UNAUTHORIZED_FIELD_OR_TYPE` error at its path. Linear in the
size of the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from gateway.authorization import unauthorized_error
from gateway.errors import NULL_IN_NON_NULL_FIELD, SUBREQUEST_MALFORMED_RESPONSE
from gateway.selection import Field, SelectionSet

_INVALID = object()  # a null that must propagate to the parent
_MISSING = object()
# How a field is completed, decided once per selection and runtime type.
_COPY = object()  # a nullable scalar, or a root introspection result
_NON_NULL_COPY = object()  # a non-null scalar: copied, or the spec's null error
_TYPENAME = object()
_COMPLETE = object()  # lists, enums, objects: completed by type
_DENIED = object()  # not authorized: null and an error, whatever was fetched


class ResponseShaper:
    """Built once per API schema; `shape` runs per request."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.possible_types: dict[str, frozenset[str]] = {
            name: frozenset(t.name for t in schema.get_possible_types(type_))
            for name, type_ in schema.type_map.items()
            if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType)
        }

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
        return None if result is _INVALID else result

    def field_plan(
        self, selection_set: SelectionSet, type_name: str, root: bool
    ) -> list[tuple[str, object, Field, GraphQLOutputType | None]]:
        """How to complete each field selected on an object of `type_name`, decided once:
        leaves that need no check are copied, the rest are completed by type."""
        plan: list[tuple[str, object, Field, GraphQLOutputType | None]] = []
        parent = self.schema.type_map[type_name]
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        for key, item in selection_set.collect_fields(type_name, self.possible_types).items():
            if item.denied:
                plan.append((key, _DENIED, item, parent.fields[item.name].type))
                continue
            if item.name == "__typename":
                plan.append((key, _TYPENAME, item, None))
                continue
            if root and item.name in ("__schema", "__type"):
                plan.append((key, _COPY, item, None))
                continue
            field_type = parent.fields[item.name].type
            inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
            if isinstance(inner, GraphQLScalarType):
                how = _NON_NULL_COPY if inner is not field_type else _COPY
                plan.append((key, how, item, field_type))
            else:
                plan.append((key, _COMPLETE, item, field_type))
        return plan


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
    ) -> Any:
        plan = selection_set.memo.get(type_name)
        if plan is None:
            plan = selection_set.memo[type_name] = self.shaper.field_plan(
                selection_set, type_name, root
            )
        result: dict[str, Any] = {}
        for key, how, item, field_type in plan:
            if how is _COPY:
                result[key] = value.get(key)
            elif how is _TYPENAME:
                result[key] = type_name
            elif how is _NON_NULL_COPY:
                copied = value.get(key)
                if copied is None:
                    path.append(key)
                    self.null_error(path, item)
                    path.pop()
                    return _INVALID
                result[key] = copied
            elif how is _COMPLETE:
                assert field_type is not None
                path.append(key)
                completed = self.complete_value(field_type, item, value.get(key, _MISSING), path)
                path.pop()
                if completed is _INVALID:
                    return _INVALID
                result[key] = completed
            else:
                self.errors.append(unauthorized_error([*path, key]))
                if isinstance(field_type, GraphQLNonNull):
                    return _INVALID
                result[key] = None
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
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            runtime = value.get("__typename")
            # An @interfaceObject subgraph names the interface itself; that is enough as long
            # as nothing type-specific was selected (else the planner fetched the real type).
            if runtime != type_.name and (
                not isinstance(runtime, str) or runtime not in self.possible.get(type_.name, ())
            ):
                return self.bad_value(path, f"an object of a type implementing {type_.name}")
        else:
            assert isinstance(type_, GraphQLObjectType)
            runtime = type_.name
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
                "extensions": {"code": NULL_IN_NON_NULL_FIELD},
            }
        )

    def bad_value(self, path: list[str | int], expected: str) -> None:
        self.errors.append(
            {
                "message": f"A subgraph returned a value that is not {expected}.",
                "path": list(path),
                "extensions": {"code": SUBREQUEST_MALFORMED_RESPONSE},
            }
        )
        return None
