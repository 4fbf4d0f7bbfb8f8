"""What changed between two API schemas, each change classified breaking, dangerous or safe.

The classification is graphql-inspector's (which refines graphql-js's `findBreakingChanges`);
the codes are graphql-js's and Apollo's schema-check codes where they have one:

    breaking   a client operation that worked may now fail validation or get a value its
               code does not expect: something removed, a type changed incompatibly, an
               output field that may now be null, an input that became required
    dangerous  valid operations keep working but may behave differently: an enum value or a
               union member a client's switch does not know, an optional argument or a
               default that changes what an omitted value means
    safe       additions and documentation: new types and fields, descriptions, deprecations

Types are compared by variance: an output may become stricter (`String` → `String!`, safe)
but not looser (`String!` → `String`, breaking: clients that relied on a value now get null);
an input may become looser (`String!` → `String`, safe) but not stricter (breaking: callers
that omitted it or passed null are refused).

Every change names `used_by`, the schema element an operation must touch to be affected by it
(a type name, `Type.field`, `Type.field(arg:)` or `@directive`), which is how
`schema/usage.py` tells the operations a change breaks from those it leaves alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    Undefined,
    ast_from_value,
    is_specified_scalar_type,
    print_ast,
)

Severity = Literal["BREAKING", "DANGEROUS", "SAFE"]
BREAKING: Severity = "BREAKING"
DANGEROUS: Severity = "DANGEROUS"
SAFE: Severity = "SAFE"


@dataclass(frozen=True)
class Change:
    code: str
    severity: Severity
    coordinate: str  # the element that changed: Type, Type.field, Type.field(arg:), Enum.VALUE
    message: str
    used_by: str  # what an operation must use to be affected (see the module docstring)

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "coordinate": self.coordinate,
            "message": self.message,
        }


def diff_schemas(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Every change from `old` to `new`, breaking first, then by coordinate."""
    changes: list[Change] = []
    old_types, new_types = _named_types(old), _named_types(new)
    for name in sorted(old_types.keys() - new_types.keys()):
        kind = _kind(old_types[name])
        changes.append(Change("TYPE_REMOVED", BREAKING, name, f"{kind} {name} was removed", name))
    for name in sorted(new_types.keys() - old_types.keys()):
        kind = _kind(new_types[name])
        changes.append(Change("TYPE_ADDED", SAFE, name, f"{kind} {name} was added", name))
    for name in sorted(old_types.keys() & new_types.keys()):
        before, after = old_types[name], new_types[name]
        if type(before) is not type(after):
            message = f"{name} changed from {_kind(before)} to {_kind(after)}"
            changes.append(Change("TYPE_CHANGED_KIND", BREAKING, name, message, name))
            continue
        changes.extend(_described(name, before, after, name))
        if isinstance(before, GraphQLObjectType | GraphQLInterfaceType):
            assert isinstance(after, GraphQLObjectType | GraphQLInterfaceType)
            changes.extend(_interfaces(before, after))
            changes.extend(_fields(before, after))
        elif isinstance(before, GraphQLUnionType):
            assert isinstance(after, GraphQLUnionType)
            changes.extend(_union(before, after))
        elif isinstance(before, GraphQLEnumType):
            assert isinstance(after, GraphQLEnumType)
            changes.extend(_enum(before, after))
        elif isinstance(before, GraphQLInputObjectType):
            assert isinstance(after, GraphQLInputObjectType)
            changes.extend(_input_fields(before, after))
    changes.extend(_directives(old, new))
    order = {BREAKING: 0, DANGEROUS: 1, SAFE: 2}
    return sorted(changes, key=lambda c: (order[c.severity], c.coordinate, c.code))


def _named_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    # As graphql-inspector: built-in scalars come and go with their use, never a change.
    return {
        name: t
        for name, t in schema.type_map.items()
        if not name.startswith("__") and not is_specified_scalar_type(t)
    }


def _kind(named: GraphQLNamedType) -> str:
    return {
        "GraphQLObjectType": "object type",
        "GraphQLInterfaceType": "interface",
        "GraphQLUnionType": "union",
        "GraphQLEnumType": "enum",
        "GraphQLInputObjectType": "input object type",
        "GraphQLScalarType": "scalar",
    }[type(named).__name__]


def _described(coordinate: str, before: Any, after: Any, used_by: str) -> list[Change]:
    """Description and deprecation changes: safe, reported so a reviewer sees them."""
    changes = []
    if before.description != after.description:
        message = f"the description of {coordinate} changed"
        changes.append(Change("DESCRIPTION_CHANGED", SAFE, coordinate, message, used_by))
    old_reason = getattr(before, "deprecation_reason", None)
    new_reason = getattr(after, "deprecation_reason", None)
    if old_reason is None and new_reason is not None:
        message = f"{coordinate} is deprecated: {new_reason}"
        changes.append(Change("DEPRECATION_ADDED", SAFE, coordinate, message, used_by))
    elif old_reason is not None and new_reason is None:
        message = f"{coordinate} is no longer deprecated"
        changes.append(Change("DEPRECATION_REMOVED", SAFE, coordinate, message, used_by))
    elif old_reason != new_reason:
        message = f"the deprecation reason of {coordinate} changed"
        changes.append(Change("DEPRECATION_REASON_CHANGED", SAFE, coordinate, message, used_by))
    return changes


def _interfaces(
    before: GraphQLObjectType | GraphQLInterfaceType,
    after: GraphQLObjectType | GraphQLInterfaceType,
) -> list[Change]:
    old = {i.name for i in before.interfaces}
    new = {i.name for i in after.interfaces}
    name = before.name
    # An operation that selects through the interface may receive this type (or no longer).
    removed = [
        Change(
            "IMPLEMENTED_INTERFACE_REMOVED",
            BREAKING,
            name,
            f"{name} no longer implements {interface}",
            interface,
        )
        for interface in sorted(old - new)
    ]
    added = [
        Change(
            "IMPLEMENTED_INTERFACE_ADDED",
            DANGEROUS,
            name,
            f"{name} now implements {interface}: clients may receive it where they ask "
            f"for {interface}",
            interface,
        )
        for interface in sorted(new - old)
    ]
    return removed + added


def _fields(
    before: GraphQLObjectType | GraphQLInterfaceType,
    after: GraphQLObjectType | GraphQLInterfaceType,
) -> list[Change]:
    changes = []
    type_name = before.name
    old, new = before.fields, after.fields
    for name in sorted(old.keys() - new.keys()):
        coordinate = f"{type_name}.{name}"
        deprecated = " (deprecated)" if old[name].deprecation_reason is not None else ""
        message = f"field {coordinate}{deprecated} was removed"
        changes.append(Change("FIELD_REMOVED", BREAKING, coordinate, message, coordinate))
    for name in sorted(new.keys() - old.keys()):
        coordinate = f"{type_name}.{name}"
        message = f"field {coordinate}: {new[name].type} was added"
        changes.append(Change("FIELD_ADDED", SAFE, coordinate, message, coordinate))
    for name in sorted(old.keys() & new.keys()):
        changes.extend(_field(f"{type_name}.{name}", old[name], new[name]))
    return changes


def _field(coordinate: str, before: GraphQLField, after: GraphQLField) -> list[Change]:
    changes = _described(coordinate, before, after, coordinate)
    if str(before.type) != str(after.type):
        safe = _safe_output_change(before.type, after.type)
        message = f"field {coordinate} changed type from {before.type} to {after.type}"
        if not safe and _loosened(before.type, after.type):
            message += ": clients that rely on a value may now get null"
        severity = SAFE if safe else BREAKING
        changes.append(Change("FIELD_CHANGED_TYPE", severity, coordinate, message, coordinate))
    for name in sorted(before.args.keys() - after.args.keys()):
        argument = f"{coordinate}({name}:)"
        message = f"argument {argument} was removed"
        changes.append(Change("ARG_REMOVED", BREAKING, argument, message, argument))
    for name in sorted(after.args.keys() - before.args.keys()):
        argument = f"{coordinate}({name}:)"
        added = after.args[name]
        if _required(added):
            message = f"required argument {argument}: {added.type} was added"
            changes.append(Change("REQUIRED_ARG_ADDED", BREAKING, argument, message, coordinate))
        else:
            message = f"optional argument {argument}: {added.type} was added"
            changes.append(Change("OPTIONAL_ARG_ADDED", DANGEROUS, argument, message, coordinate))
    for name in sorted(before.args.keys() & after.args.keys()):
        argument = f"{coordinate}({name}:)"
        changes.extend(
            _input_value("ARG", argument, coordinate, before.args[name], after.args[name])
        )
    return changes


def _input_value(
    prefix: str,
    coordinate: str,
    field_coordinate: str,
    before: GraphQLArgument | GraphQLInputField,
    after: GraphQLArgument | GraphQLInputField,
) -> list[Change]:
    """An argument (`prefix` ARG) or an input field (INPUT_FIELD) present on both sides.

    `field_coordinate` is what an operation touches when it may omit the value: the field
    for an argument, the input type for an input field.
    """
    kind = "argument" if prefix == "ARG" else "input field"
    changes = _described(coordinate, before, after, coordinate)
    type_changed = str(before.type) != str(after.type)
    if type_changed:
        safe = _safe_input_change(before.type, after.type)
        message = f"{kind} {coordinate} changed type from {before.type} to {after.type}"
        # Made required: operations that omit it are affected, not only those passing it.
        used_by = field_coordinate if _required(after) and not _required(before) else coordinate
        changes.append(
            Change(
                f"{prefix}_CHANGED_TYPE", SAFE if safe else BREAKING, coordinate, message, used_by
            )
        )
    old_default, new_default = _default(before), _default(after)
    if old_default != new_default:
        if _required(after) and not _required(before) and not type_changed:
            message = f"{kind} {coordinate} lost its default ({old_default}) and is now required"
            changes.append(
                Change(
                    f"{prefix}_DEFAULT_VALUE_REMOVED",
                    BREAKING,
                    coordinate,
                    message,
                    field_coordinate,
                )
            )
        else:
            message = (
                f"the default of {kind} {coordinate} changed from "
                f"{old_default or 'none'} to {new_default or 'none'}"
            )
            changes.append(
                Change(
                    f"{prefix}_DEFAULT_VALUE_CHANGE",
                    DANGEROUS,
                    coordinate,
                    message,
                    field_coordinate,
                )
            )
    return changes


def _input_fields(before: GraphQLInputObjectType, after: GraphQLInputObjectType) -> list[Change]:
    changes = []
    type_name = before.name
    old, new = before.fields, after.fields
    for name in sorted(old.keys() - new.keys()):
        coordinate = f"{type_name}.{name}"
        message = f"input field {coordinate} was removed"
        changes.append(Change("INPUT_FIELD_REMOVED", BREAKING, coordinate, message, type_name))
    for name in sorted(new.keys() - old.keys()):
        coordinate = f"{type_name}.{name}"
        added = new[name]
        if _required(added):
            message = f"required input field {coordinate}: {added.type} was added"
            code, severity = "REQUIRED_INPUT_FIELD_ADDED", BREAKING
        elif _default(added) is not None:
            message = (
                f"input field {coordinate}: {added.type} = {_default(added)} was added: "
                "callers that omit it now send the default"
            )
            code, severity = "OPTIONAL_INPUT_FIELD_ADDED", DANGEROUS
        else:
            message = f"optional input field {coordinate}: {added.type} was added"
            code, severity = "OPTIONAL_INPUT_FIELD_ADDED", SAFE
        changes.append(Change(code, severity, coordinate, message, type_name))
    for name in sorted(old.keys() & new.keys()):
        coordinate = f"{type_name}.{name}"
        changes.extend(_input_value("INPUT_FIELD", coordinate, type_name, old[name], new[name]))
    return changes


def _enum(before: GraphQLEnumType, after: GraphQLEnumType) -> list[Change]:
    changes = []
    name = before.name
    old, new = before.values, after.values
    for value in sorted(old.keys() - new.keys()):
        coordinate = f"{name}.{value}"
        message = f"enum value {coordinate} was removed"
        changes.append(Change("VALUE_REMOVED_FROM_ENUM", BREAKING, coordinate, message, name))
    for value in sorted(new.keys() - old.keys()):
        coordinate = f"{name}.{value}"
        message = f"enum value {coordinate} was added: clients may receive a value they do not know"
        changes.append(Change("VALUE_ADDED_TO_ENUM", DANGEROUS, coordinate, message, name))
    for value in sorted(old.keys() & new.keys()):
        changes.extend(_described(f"{name}.{value}", old[value], new[value], name))
    return changes


def _union(before: GraphQLUnionType, after: GraphQLUnionType) -> list[Change]:
    name = before.name
    old = {t.name for t in before.types}
    new = {t.name for t in after.types}
    removed = [
        Change("TYPE_REMOVED_FROM_UNION", BREAKING, name, f"{member} was removed from {name}", name)
        for member in sorted(old - new)
    ]
    added = [
        Change(
            "TYPE_ADDED_TO_UNION",
            DANGEROUS,
            name,
            f"{member} was added to {name}: clients may receive a type they do not handle",
            name,
        )
        for member in sorted(new - old)
    ]
    return removed + added


def _directives(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    changes = []
    before = {d.name: d for d in old.directives}
    after = {d.name: d for d in new.directives}
    for name in sorted(before.keys() - after.keys()):
        coordinate = f"@{name}"
        message = f"directive {coordinate} was removed"
        changes.append(Change("DIRECTIVE_REMOVED", BREAKING, coordinate, message, coordinate))
    for name in sorted(after.keys() - before.keys()):
        coordinate = f"@{name}"
        message = f"directive {coordinate} was added"
        changes.append(Change("DIRECTIVE_ADDED", SAFE, coordinate, message, coordinate))
    for name in sorted(before.keys() & after.keys()):
        coordinate = f"@{name}"
        old_args, new_args = before[name].args, after[name].args
        for arg in sorted(old_args.keys() - new_args.keys()):
            message = f"argument {arg} of directive {coordinate} was removed"
            changes.append(
                Change("DIRECTIVE_ARG_REMOVED", BREAKING, coordinate, message, coordinate)
            )
        for arg in sorted(new_args.keys() - old_args.keys()):
            if _required(new_args[arg]):
                message = f"required argument {arg} was added to directive {coordinate}"
                changes.append(
                    Change(
                        "REQUIRED_DIRECTIVE_ARG_ADDED", BREAKING, coordinate, message, coordinate
                    )
                )
        for location in sorted(
            {loc.name for loc in before[name].locations}
            - {loc.name for loc in after[name].locations}
        ):
            message = f"directive {coordinate} can no longer be used on {location}"
            changes.append(
                Change("DIRECTIVE_LOCATION_REMOVED", BREAKING, coordinate, message, coordinate)
            )
    return changes


def _required(value: GraphQLArgument | GraphQLInputField) -> bool:
    return isinstance(value.type, GraphQLNonNull) and value.default_value is Undefined


def _default(value: GraphQLArgument | GraphQLInputField) -> str | None:
    if value.default_value is Undefined:
        return None
    node = ast_from_value(value.default_value, value.type)
    return print_ast(node) if node is not None else repr(value.default_value)


def _safe_output_change(before: GraphQLType, after: GraphQLType) -> bool:
    """Whether every value `after` allows was allowed by `before` (outputs may tighten)."""
    if isinstance(after, GraphQLNonNull):
        inner = before.of_type if isinstance(before, GraphQLNonNull) else before
        return _safe_output_change(inner, after.of_type)
    if isinstance(before, GraphQLList):
        return isinstance(after, GraphQLList) and _safe_output_change(before.of_type, after.of_type)
    if isinstance(before, GraphQLNonNull) or isinstance(after, GraphQLList):
        return False
    return str(before) == str(after)


def _safe_input_change(before: GraphQLType, after: GraphQLType) -> bool:
    """Whether every value `before` accepted is still accepted (inputs may loosen)."""
    if isinstance(before, GraphQLNonNull):
        inner = after.of_type if isinstance(after, GraphQLNonNull) else after
        return _safe_input_change(before.of_type, inner)
    if isinstance(before, GraphQLList):
        return isinstance(after, GraphQLList) and _safe_input_change(before.of_type, after.of_type)
    if isinstance(after, GraphQLNonNull | GraphQLList):
        return False
    return str(before) == str(after)


def _loosened(before: GraphQLType, after: GraphQLType) -> bool:
    """`after` is `before` with some non-null wrappers dropped."""
    old, new = str(before), str(after)
    return old.replace("!", "") == new.replace("!", "") and new.count("!") < old.count("!")
