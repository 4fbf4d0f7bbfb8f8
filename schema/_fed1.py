"""Federation 1 subgraphs (no federation @link) read as Apollo's composition reads them: each is
upgraded to federation 2 before validation, in the order of Apollo's schema upgrader.

    facts of every subgraph as given (before any upgrade)
        │
        ▼  per federation 1 subgraph
    extension without a base anywhere ─▶ EXTENSION_WITH_NO_BASE
    @external dropped: on interface fields; on an extension's fields that the first @key of
        another subgraph selects (keys of the extension itself: `_parse` already did)
    @provides/@requires keep only what reaches an @external field
    extensions become definitions (an @extends stays)
    @key on interfaces, @provides/@requires on interface fields, @provides on leaves dropped
    unused @external fields removed (a type left empty: removed, or TYPE_WITH_ONLY_UNUSED_EXTERNAL)
    @shareable added: entity and root fields another subgraph resolves too (key fields need none),
        value types another subgraph has
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, print_ast

from schema._fieldset import FieldRef, key_fields, parse_field_set, provided_fields, used_fields
from schema._model import SubgraphModel, TypeDef, named_type
from schema.errors import CompositionError

_COMPOSITE = ("OBJECT", "INTERFACE", "UNION")


@dataclass(frozen=True)
class _Facts:
    """What the upgrade needs to know of every subgraph, as it was given."""

    composites: dict[str, dict[str, TypeDef]]  # type -> subgraph -> its object or interface
    resolving: dict[FieldRef, set[str]]  # subgraphs resolving a field (not only @external there)
    shareable: dict[str, set[FieldRef]]  # subgraph -> its fields shareable as given (key fields)


def upgrade(models: Sequence[SubgraphModel]) -> list[CompositionError]:
    """Upgrade the federation 1 models in place; the errors that make one unusable."""
    if not any(model.fed1 for model in models):
        return []
    facts = _facts(models)
    errors: list[CompositionError] = []
    for model in models:
        if model.fed1:
            errors.extend(_upgrade(model, facts))
    return errors


def _facts(models: Sequence[SubgraphModel]) -> _Facts:
    composites: dict[str, dict[str, TypeDef]] = {}
    resolving: dict[FieldRef, set[str]] = {}
    shareable: dict[str, set[FieldRef]] = {}
    for model in models:
        provided = provided_fields(model)
        for type_def in model.types.values():
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            composites.setdefault(type_def.name, {})[model.name] = type_def
            for field in type_def.fields.values():
                ref = (type_def.name, field.name)
                if not field.external or ref in provided:
                    resolving.setdefault(ref, set()).add(model.name)
        shareable[model.name] = key_fields(model) | {
            (parent, name) for parent, name in provided if model.types[parent].fields[name].external
        }
    return _Facts(composites, resolving, shareable)


def _upgrade(model: SubgraphModel, facts: _Facts) -> list[CompositionError]:
    errors = _extensions_without_base(model, facts)
    _drop_external_on_interfaces(model)
    _drop_external_on_keyless_extensions(model, facts)
    _keep_active_provides_and_requires(model)
    for type_def in model.types.values():
        if _is_extension(model, type_def):
            type_def.defined = True
            type_def.keys = [dataclasses.replace(k, of_extension=False) for k in type_def.keys]
    _drop_directives_on_interfaces(model)
    _drop_provides_on_leaves(model)
    errors += _remove_unused_externals(model)
    _add_shareable(model, facts)
    return errors


def _is_extension(model: SubgraphModel, type_def: TypeDef) -> bool:
    """A type extension in federation 1's sense, or a root type only extended."""
    if type_def.kind not in ("OBJECT", "INTERFACE"):
        return False
    return type_def.extension or (model.is_root(type_def.name) and not type_def.defined)


def _extensions_without_base(model: SubgraphModel, facts: _Facts) -> list[CompositionError]:
    errors = []
    for type_def in model.types.values():
        if model.is_root(type_def.name) or not _is_extension(model, type_def):
            continue
        others = facts.composites[type_def.name]
        if not any(t.defined for name, t in others.items() if name != model.name):
            errors.append(
                CompositionError(
                    "EXTENSION_WITH_NO_BASE",
                    f'Type "{type_def.name}" is an extension type, but there is no type'
                    f' definition for "{type_def.name}" in any subgraph.',
                    model.name,
                    type_def.name,
                )
            )
    return errors


def _drop_external_on_interfaces(model: SubgraphModel) -> None:
    for type_def in model.types.values():
        if type_def.kind == "INTERFACE":
            for field in type_def.fields.values():
                field.external = False


def _drop_external_on_keyless_extensions(model: SubgraphModel, facts: _Facts) -> None:
    """Federation 1 took an extension without @key to share the key of the type's owner: the
    fields the first @key of another subgraph selects on the type are not external."""
    for type_def in model.types.values():
        if type_def.keys or not _is_extension(model, type_def):
            continue
        for subgraph, other in facts.composites[type_def.name].items():
            if subgraph == model.name or not other.keys:
                continue
            for node in parse_field_set(other.keys[0].fields).selections:
                if isinstance(node, FieldNode) and node.name.value in type_def.fields:
                    type_def.fields[node.name.value].external = False


def _keep_active_provides_and_requires(model: SubgraphModel) -> None:
    """Federation 1 accepted @provides/@requires of fields the subgraph resolves itself; keep
    only the paths to @external fields (none left: no directive)."""
    for type_def in model.types.values():
        if type_def.kind not in ("OBJECT", "INTERFACE"):
            continue
        for field in type_def.fields.values():
            if field.provides is not None:
                field.provides = _active(model, named_type(field.type), field.provides)
            if field.requires is not None:
                field.requires = _active(model, type_def.name, field.requires)


def _active(model: SubgraphModel, type_name: str, fields: str) -> str | None:
    try:
        selection_set = parse_field_set(fields)
    except Exception:  # an invalid field set is for validation to report
        return fields
    if not _selects_internal_leaf(model, type_name, selection_set):
        return fields
    kept = _without_internal_leaves(model, type_name, selection_set)
    return kept or None


def _external_here(model: SubgraphModel, type_name: str, field_name: str) -> bool:
    type_def = model.types.get(type_name)
    field = type_def.fields.get(field_name) if type_def else None
    if field is not None and field.external:
        return True
    if type_def is not None and type_def.kind == "INTERFACE":
        for implementation in model.implementations(type_name):
            implemented = model.types[implementation].fields.get(field_name)
            if implemented is not None and implemented.external:
                return True
    return False


def _field_type(model: SubgraphModel, type_name: str, field_name: str) -> str | None:
    type_def = model.types.get(type_name)
    field = type_def.fields.get(field_name) if type_def else None
    return named_type(field.type) if field else None


def _selects_internal_leaf(model: SubgraphModel, type_name: str, node: SelectionSetNode) -> bool:
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name == "__typename" or _external_here(model, type_name, name):
                continue
            target = _field_type(model, type_name, name)
            if selection.selection_set is None or target is None:
                return True
            if _selects_internal_leaf(model, target, selection.selection_set):
                return True
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = condition.name.value if condition else type_name
            if _selects_internal_leaf(model, inner, selection.selection_set):
                return True
    return False


def _without_internal_leaves(model: SubgraphModel, type_name: str, node: SelectionSetNode) -> str:
    """The selection without what reaches no @external field, printed as Apollo prints it."""
    parts = []
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if _external_here(model, type_name, name):
                parts.append(_printed(selection))
                continue
            target = _field_type(model, type_name, name)
            if selection.selection_set is not None and target is not None:
                inner = _without_internal_leaves(model, target, selection.selection_set)
                if inner:
                    parts.append(f"{_printed_head(selection)} {{ {inner} }}")
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner_type = condition.name.value if condition else type_name
            inner = _without_internal_leaves(model, inner_type, selection.selection_set)
            if inner:
                head = f"... on {condition.name.value}" if condition else "..."
                parts.append(f"{head} {{ {inner} }}")
    return " ".join(parts)


def _printed_head(node: FieldNode) -> str:
    args = ", ".join(f"{a.name.value}: {print_ast(a.value)}" for a in node.arguments or ())
    return f"{node.name.value}({args})" if args else node.name.value


def _printed(node: FieldNode) -> str:
    if node.selection_set is None:
        return _printed_head(node)
    inner = " ".join(_printed_selection(s) for s in node.selection_set.selections)
    return f"{_printed_head(node)} {{ {inner} }}"


def _printed_selection(node: object) -> str:
    if isinstance(node, FieldNode):
        return _printed(node)
    assert isinstance(node, InlineFragmentNode)
    condition = node.type_condition
    head = f"... on {condition.name.value}" if condition else "..."
    inner = " ".join(_printed_selection(s) for s in node.selection_set.selections)
    return f"{head} {{ {inner} }}"


def _drop_directives_on_interfaces(model: SubgraphModel) -> None:
    """Federation 1 accepted, and ignored, @key on interfaces and @provides/@requires on their
    fields."""
    for type_def in model.types.values():
        if type_def.kind == "INTERFACE":
            type_def.keys = []
            for field in type_def.fields.values():
                field.provides = field.requires = None


def _drop_provides_on_leaves(model: SubgraphModel) -> None:
    for type_def in model.types.values():
        if type_def.kind != "OBJECT":
            continue
        for field in type_def.fields.values():
            if model.kind_of(named_type(field.type)) not in _COMPOSITE:
                field.provides = None


def _remove_unused_externals(model: SubgraphModel) -> list[CompositionError]:
    used = used_fields(model)
    errors = []
    for type_def in list(model.types.values()):
        if type_def.kind not in ("OBJECT", "INTERFACE"):
            continue
        for name, field in list(type_def.fields.items()):
            if field.external and (type_def.name, name) not in used:
                del type_def.fields[name]
        if type_def.fields:
            continue
        if _is_referenced(model, type_def.name):
            errors.append(
                CompositionError(
                    "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
                    f"Type {type_def.name} contains only external fields and all those fields"
                    " are all unused (they do not appear in any @key, @provides or @requires).",
                    model.name,
                    type_def.name,
                )
            )
        elif not model.is_root(type_def.name):
            del model.types[type_def.name]
    return errors


def _is_referenced(model: SubgraphModel, type_name: str) -> bool:
    for type_def in model.types.values():
        if type_name in type_def.interfaces or type_name in type_def.members:
            return True
        for field in type_def.fields.values():
            if named_type(field.type) == type_name:
                return True
            if any(named_type(arg.type) == type_name for arg in field.args.values()):
                return True
    return False


def _add_shareable(model: SubgraphModel, facts: _Facts) -> None:
    """Federation 1 let any subgraph resolve any field; federation 2 asks for @shareable."""
    for type_def in model.types.values():
        if type_def.kind != "OBJECT" or model.roots.get("subscription") == type_def.name:
            continue
        others = [s for s in facts.composites.get(type_def.name, {}) if s != model.name]
        if type_def.keys or model.is_root(type_def.name):
            for name, field in type_def.fields.items():
                ref = (type_def.name, name)
                if ref in facts.shareable[model.name]:
                    continue
                if facts.resolving.get(ref, set()) - {model.name}:
                    field.shareable = True
        elif others:
            type_def.shareable = True
            for field in type_def.fields.values():
                field.shareable = True
