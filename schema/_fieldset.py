"""Field sets, the selection strings of @key, @requires and @provides, read against a subgraph.

`select` parses `fields: "sku variation { id }"` as a selection set and walks it over the
subgraph's types, returning every field it selects and what is wrong with the selection.
`key_fields`, `provided_fields` and `used_fields` collect what a subgraph's field sets select.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from schema._model import Field, SubgraphModel, named_type


@dataclass(frozen=True)
class Selected:
    parent: str  # the type the field is selected on
    field: Field
    top_level: bool
    # Selected inside a field that is @external in this subgraph (or, for an interface field,
    # in one of its implementations).
    under_external: bool
    leaf: bool  # selected without a sub-selection


@dataclass(frozen=True)
class Selection:
    fields: tuple[Selected, ...]
    problems: tuple[str, ...]


def parse_field_set(text: str) -> SelectionSetNode:
    operation = parse("{" + text + "}", no_location=True).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def select(model: SubgraphModel, type_name: str, text: str) -> Selection:
    try:
        selection_set = parse_field_set(text)
    except GraphQLSyntaxError as error:
        return Selection((), (f'"{text}" is not a valid selection: {error.message}',))
    fields: list[Selected] = []
    problems: list[str] = []
    _walk(model, type_name, selection_set, True, False, fields, problems)
    return Selection(tuple(fields), tuple(problems))


def _walk(
    model: SubgraphModel,
    type_name: str,
    selection_set: SelectionSetNode,
    top_level: bool,
    under_external: bool,
    fields: list[Selected],
    problems: list[str],
) -> None:
    type_def = model.types.get(type_name)
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if condition is not None and condition not in model.types:
                problems.append(f'unknown type "{condition}" in type condition')
                continue
            _walk(
                model,
                condition or type_name,
                selection.selection_set,
                top_level,
                under_external,
                fields,
                problems,
            )
            continue
        if not isinstance(selection, FieldNode):
            problems.append("fragment spreads are not allowed in a field set")
            continue
        name = selection.name.value
        if name == "__typename":
            continue
        if selection.alias is not None:
            problems.append(f'aliases are not allowed in a field set ("{selection.alias.value}")')
        field = type_def.fields.get(name) if type_def else None
        if field is None:
            problems.append(f'Cannot query field "{name}" on type "{type_name}"')
            continue
        leaf = selection.selection_set is None
        fields.append(Selected(type_name, field, top_level, under_external, leaf))
        for argument in selection.arguments or ():
            if argument.name.value not in field.args:
                problems.append(
                    f'Unknown argument "{argument.name.value}" found on field "{type_name}.{name}"'
                )
        target = named_type(field.type)
        target_kind = model.kind_of(target)
        composite = target_kind in ("OBJECT", "INTERFACE", "UNION")
        if selection.selection_set is None:
            if composite:
                problems.append(f'field "{type_name}.{name}" of type "{target}" needs a selection')
        elif not composite:
            problems.append(f'field "{type_name}.{name}" is a leaf and cannot have a selection')
        else:
            inside_external = (
                under_external
                or field.external
                or _external_in_implementation(model, type_name, name)
            )
            _walk(model, target, selection.selection_set, False, inside_external, fields, problems)


def _external_in_implementation(model: SubgraphModel, type_name: str, field_name: str) -> bool:
    if model.kind_of(type_name) != "INTERFACE":
        return False
    for implementation in model.implementations(type_name):
        field = model.types[implementation].fields.get(field_name)
        if field is not None and field.external:
            return True
    return False


FieldRef = tuple[str, str]  # (type, field)


def _with_implementations(model: SubgraphModel, refs: set[FieldRef]) -> set[FieldRef]:
    """A field selected on an interface selects it on the interface's implementations too."""
    result = set(refs)
    for parent, name in refs:
        if model.kind_of(parent) == "INTERFACE":
            for implementation in model.implementations(parent):
                if name in model.types[implementation].fields:
                    result.add((implementation, name))
    return result


def key_fields(model: SubgraphModel) -> set[FieldRef]:
    return {
        (s.parent, s.field.name)
        for t in model.types.values()
        for key in t.keys
        for s in select(model, t.name, key.fields).fields
    }


def provided_fields(model: SubgraphModel) -> set[FieldRef]:
    return _with_implementations(
        model,
        {
            (s.parent, s.field.name)
            for t in model.types.values()
            for f in t.fields.values()
            if f.provides is not None
            for s in select(model, named_type(f.type), f.provides).fields
        },
    )


def used_fields(model: SubgraphModel) -> set[FieldRef]:
    """Fields a @key, @requires or @provides of this subgraph selects, or that implement a field
    of one of its interfaces: what Apollo calls "used" (an @external one is then needed)."""
    used = key_fields(model) | provided_fields(model)
    for t in model.types.values():
        for f in t.fields.values():
            if f.requires is not None:
                used.update(
                    (s.parent, s.field.name) for s in select(model, t.name, f.requires).fields
                )
        if t.kind == "INTERFACE":
            for implementation in model.implementations(t.name):
                fields = model.types[implementation].fields
                used.update((implementation, name) for name in t.fields if name in fields)
    return _with_implementations(model, used)
