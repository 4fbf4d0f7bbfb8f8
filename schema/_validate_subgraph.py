"""Rules one subgraph must follow on its own: its @key, @requires, @provides, @external,
@override and @interfaceObject make sense against its own types, and its access control
(@authenticated, @requiresScopes, @policy) is on object types and fields, not on interfaces.

Each rule is a function `(model) -> errors`; `validate_subgraph` runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from schema._fieldset import Selection, parse_field_set, select, used_fields
from schema._model import Field, SubgraphModel, TypeDef, named_type
from schema._specs import ACCESS_CONTROL
from schema.errors import CompositionError

_LABEL = re.compile(r"^(percent\((\d{1,2}(\.\d+)?|100(\.0+)?)\)|[a-zA-Z][a-zA-Z0-9_\-:./]*)$")


def validate_subgraph(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for rule in _RULES:
        errors.extend(rule(model))
    return errors


def _fields(model: SubgraphModel) -> Iterator[tuple[TypeDef, Field]]:
    for type_def in model.types.values():
        if type_def.kind in ("OBJECT", "INTERFACE"):
            for field in type_def.fields.values():
                yield type_def, field


def _error(model: SubgraphModel, code: str, element: str, message: str) -> CompositionError:
    return CompositionError(code, message, model.name, element)


def _keys(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for type_def in model.types.values():
        for key in type_def.keys:
            where = f'On type "{type_def.name}", for @key(fields: "{key.fields}")'
            selection = select(model, type_def.name, key.fields)
            errors.extend(
                _error(model, "KEY_INVALID_FIELDS", type_def.name, f"{where}: {problem}")
                for problem in selection.problems
            )
            for selected in selection.fields:
                name = f"{selected.parent}.{selected.field.name}"
                if selected.field.args:
                    errors.append(
                        _error(
                            model,
                            "KEY_FIELDS_HAS_ARGS",
                            type_def.name,
                            f'{where}: field "{name}" has arguments and cannot be in a @key',
                        )
                    )
                target_kind = model.kind_of(named_type(selected.field.type))
                if target_kind in ("INTERFACE", "UNION"):
                    errors.append(
                        _error(
                            model,
                            "KEY_FIELDS_SELECT_INVALID_TYPE",
                            type_def.name,
                            f'{where}: field "{name}" is of {target_kind.lower()} type'
                            f' "{named_type(selected.field.type)}", which a @key cannot select',
                        )
                    )
    return errors


def _interface_keys(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for interface in model.types.values():
        if interface.kind != "INTERFACE" or not interface.keys:
            continue
        for implementation in model.implementations(interface.name):
            have = {_normalised(key.fields) for key in model.types[implementation].keys}
            for key in interface.keys:
                if _normalised(key.fields) not in have:
                    errors.append(
                        _error(
                            model,
                            "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                            implementation,
                            f'Key @key(fields: "{key.fields}") on interface type'
                            f' "{interface.name}" is missing on implementation type'
                            f' "{implementation}"',
                        )
                    )
    return errors


def _normalised(fields: str) -> str:
    try:
        return " ".join(str(parse_field_set(fields)).split())
    except Exception:  # a broken key is reported by `_keys`
        return fields


def _selection_errors(
    model: SubgraphModel,
    directive: str,
    element: str,
    fields: str,
    selection: Selection,
) -> list[CompositionError]:
    code = f"{directive.upper()}_INVALID_FIELDS"
    where = f'On field "{element}", for @{directive}(fields: "{fields}")'
    errors = [_error(model, code, element, f"{where}: {p}") for p in selection.problems]
    for selected in selection.fields:
        if directive == "provides" and selected.field.args:
            errors.append(
                _error(
                    model,
                    "PROVIDES_FIELDS_HAS_ARGS",
                    element,
                    f"{where}: field {selected.parent}.{selected.field.name} cannot be included"
                    " because it has arguments (fields with argument are not allowed in"
                    " @provides)",
                )
            )
        # Only leaves must be @external: a path to them may be the subgraph's own fields.
        if selected.leaf and not selected.field.external and not selected.under_external:
            errors.append(
                _error(
                    model,
                    f"{directive.upper()}_FIELDS_MISSING_EXTERNAL",
                    element,
                    f'{where}: field "{selected.parent}.{selected.field.name}" should not be part'
                    f" of a @{directive} since it is already provided by this subgraph"
                    " (it is not marked @external)",
                )
            )
    return errors


def _requires(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for type_def, field in _fields(model):
        if field.requires is None:
            continue
        element = f"{type_def.name}.{field.name}"
        if type_def.kind == "INTERFACE":
            errors.append(
                _error(
                    model,
                    "REQUIRES_UNSUPPORTED_ON_INTERFACE",
                    element,
                    f'Cannot use @requires on field "{element}" of interface "{type_def.name}"',
                )
            )
            continue
        selection = select(model, type_def.name, field.requires)
        errors.extend(_selection_errors(model, "requires", element, field.requires, selection))
    return errors


def _provides(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for type_def, field in _fields(model):
        if field.provides is None:
            continue
        element = f"{type_def.name}.{field.name}"
        target = named_type(field.type)
        if type_def.kind == "INTERFACE":
            errors.append(
                _error(
                    model,
                    "PROVIDES_UNSUPPORTED_ON_INTERFACE",
                    element,
                    f'Cannot use @provides on field "{element}" of interface "{type_def.name}"',
                )
            )
            continue
        if model.kind_of(target) not in ("OBJECT", "INTERFACE", "UNION"):
            errors.append(
                _error(
                    model,
                    "PROVIDES_ON_NON_OBJECT_FIELD",
                    element,
                    f'Invalid @provides directive on field "{element}": field has type'
                    f' "{field.type and named_type(field.type)}" which is not a composite type',
                )
            )
            continue
        selection = select(model, target, field.provides)
        errors.extend(_selection_errors(model, "provides", element, field.provides, selection))
    return errors


def _external(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    used = used_fields(model)
    for type_def, field in _fields(model):
        if not field.external:
            continue
        element = f"{type_def.name}.{field.name}"
        if type_def.kind == "INTERFACE":
            errors.append(
                _error(
                    model,
                    "EXTERNAL_ON_INTERFACE",
                    element,
                    f'Interface type field "{element}" is marked @external but @external is not'
                    " allowed on interface fields",
                )
            )
            continue
        if (type_def.name, field.name) not in used:
            errors.append(
                _error(
                    model,
                    "EXTERNAL_UNUSED",
                    element,
                    f'Field "{element}" is marked @external but is not used in any federation'
                    " directive (@key, @provides, @requires) or to satisfy an interface;"
                    " the field declaration has no use and should be removed (or the field"
                    " should not be @external).",
                )
            )
    return errors


def _override(model: SubgraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for type_def, field in _fields(model):
        if field.override_from is None:
            continue
        element = f"{type_def.name}.{field.name}"
        if type_def.kind == "INTERFACE":
            errors.append(
                _error(
                    model,
                    "OVERRIDE_ON_INTERFACE",
                    element,
                    f'@override cannot be used on field "{element}" on interface type'
                    f' "{type_def.name}"',
                )
            )
        if field.override_from == model.name:
            errors.append(
                _error(
                    model,
                    "OVERRIDE_FROM_SELF_ERROR",
                    element,
                    f'Source and destination subgraphs "{model.name}" are the same for'
                    f' overridden field "{element}"',
                )
            )
        if field.external:
            errors.append(
                _error(
                    model,
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    element,
                    f'@override cannot be used on field "{element}" since it is also @external',
                )
            )
        if field.override_label is not None and not _LABEL.match(field.override_label):
            errors.append(
                _error(
                    model,
                    "OVERRIDE_LABEL_INVALID",
                    element,
                    f'Invalid @override label "{field.override_label}" on field "{element}":'
                    ' labels are "percent(<0-100>)" or start with a letter followed by'
                    " letters, digits, _ - : . /",
                )
            )
    return errors


def _interface_object(model: SubgraphModel) -> list[CompositionError]:
    return [
        _error(
            model,
            "INTERFACE_OBJECT_USAGE_ERROR",
            type_def.name,
            f"The @interfaceObject directive can only be applied to entity types but type"
            f' "{type_def.name}" has no @key in this subgraph.',
        )
        for type_def in model.types.values()
        if type_def.interface_object and not type_def.keys
    ]


def _access_control_on_interfaces(model: SubgraphModel) -> list[CompositionError]:
    """An interface's requirements are its implementations' (composition copies them up), so
    writing one on an interface, an interface field or an @interfaceObject is refused."""
    errors: list[CompositionError] = []
    for type_def in model.types.values():
        if type_def.kind == "INTERFACE" or type_def.interface_object:
            kind = "interface object" if type_def.interface_object else "interface"
            errors.extend(
                _access_control_error(model, applied.name, kind, type_def.name)
                for applied in type_def.kept
                if applied.name in ACCESS_CONTROL
            )
        if type_def.kind == "INTERFACE":
            errors.extend(
                _access_control_error(model, applied.name, "field", f"{type_def.name}.{field.name}")
                for field in type_def.fields.values()
                for applied in field.kept
                if applied.name in ACCESS_CONTROL
            )
    return errors


def _access_control_error(
    model: SubgraphModel, directive: str, kind: str, element: str
) -> CompositionError:
    return _error(
        model,
        "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
        element,
        f'@{directive} on {kind} "{element}": access control belongs on object types and their'
        " fields; composition gives an interface the requirements of what implements it",
    )


_RULES: tuple[Callable[[SubgraphModel], list[CompositionError]], ...] = (
    _keys,
    _interface_keys,
    _requires,
    _provides,
    _external,
    _override,
    _interface_object,
    _access_control_on_interfaces,
)
