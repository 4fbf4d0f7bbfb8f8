"""Merge valid subgraph models into the supergraph model, recording where each element lives.

Per type kind:
    object, interface   union of fields; a field resolved by several subgraphs must be
                        @shareable (or a key field) everywhere; types merge to the most general
    input object        intersection of fields; types merge to the strictest
    enum                union when only returned, intersection when only taken as input,
                        identical values when both
    union               union of members
    scalar              as is
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from graphql import ValueNode, print_ast

from schema._fieldset import key_fields, provided_fields, used_fields
from schema._merge_directives import access_control_sources, merge_applied
from schema._model import (
    ROOT_DEFAULT_NAMES,
    Argument,
    Field,
    SubgraphModel,
    TypeDef,
    TypeKind,
    is_required,
    named_type,
    type_str,
)
from schema._specs import ACCESS_CONTROL, join_version
from schema._supergraph import (
    Graph,
    JoinField,
    JoinType,
    SuperArgument,
    SuperEnumValue,
    SuperField,
    Supergraph,
    SuperType,
)
from schema._type_compat import Supertypes, is_subtype, most_general, same_type, strictest
from schema.errors import CompositionError, CompositionHint

_DEFAULT_MISMATCH = {
    "ARGUMENT": "FIELD_ARGUMENT_DEFAULT_MISMATCH",
    "INPUT_FIELD": "INPUT_FIELD_DEFAULT_MISMATCH",
}
_KIND_LABEL = {
    "OBJECT": "Object Type",
    "INTERFACE": "Interface Type",
    "UNION": "Union Type",
    "ENUM": "Enum Type",
    "INPUT_OBJECT": "Input Object Type",
    "SCALAR": "Scalar Type",
}


@dataclass
class MergeResult:
    supergraph: Supergraph
    errors: list[CompositionError]
    hints: list[CompositionHint]


@dataclass(frozen=True)
class _Source:
    model: SubgraphModel
    type_def: TypeDef
    graph: str


@dataclass
class _Overrides:
    """For one field: subgraphs whose definition another overrides, split by whether their own
    @key/@requires/@provides or an interface still use it, and the labels of progressive ones
    (on both sides)."""

    used: set[str] = dataclasses.field(default_factory=set)
    unused: set[str] = dataclasses.field(default_factory=set)
    labels: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class _FieldSource:
    source: _Source
    field: Field

    @property
    def subgraph(self) -> str:
        return self.source.model.name


def graph_enum_values(names: Sequence[str]) -> list[str]:
    """join__Graph values: upper-cased names, non-alphanumerics as `_`, made unique."""
    values: list[str] = []
    for name in names:
        value = re.sub(r"[^A-Z0-9_]", "_", name.upper())
        if value[:1].isdigit() or not value:
            value = "_" + value
        base, suffix = value, 1
        while value in values:
            value, suffix = f"{base}_{suffix}", suffix + 1
        values.append(value)
    return values


def _quoted(names: Sequence[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def merge(models: Sequence[SubgraphModel]) -> MergeResult:
    return _Merger(models).merge()


class _Merger:
    def __init__(self, models: Sequence[SubgraphModel]) -> None:
        self.models = list(models)
        self.graph = dict(
            zip(
                (m.name for m in models),
                graph_enum_values([m.name for m in models]),
                strict=True,
            )
        )
        self.errors: list[CompositionError] = []
        self.hints: list[CompositionHint] = []
        self.supertypes = self._supertypes()
        self.enum_usage = self._enum_usage()
        self.key_fields = {m.name: key_fields(m) for m in models}
        self.provided = {m.name: provided_fields(m) for m in models}
        self.directive_used = {m.name: used_fields(m) for m in models}
        self.access_control = access_control_sources(models)

    # -- facts gathered before merging -----------------------------------------------------

    def _supertypes(self) -> Supertypes:
        supertypes: dict[str, set[str]] = {}
        for model in self.models:
            for type_def in model.types.values():
                for interface in type_def.interfaces:
                    supertypes.setdefault(type_def.name, set()).add(interface)
                for member in type_def.members:
                    supertypes.setdefault(member, set()).add(type_def.name)
        return supertypes

    def _enum_usage(self) -> dict[str, dict[str, str]]:
        """Enum name -> {"input"/"output": an element using it that way}."""
        usage: dict[str, dict[str, str]] = {}
        for model in self.models:
            for type_def in model.types.values():
                for field in type_def.fields.values():
                    position = "input" if type_def.kind == "INPUT_OBJECT" else "output"
                    target = named_type(field.type)
                    if model.kind_of(target) == "ENUM":
                        usage.setdefault(target, {}).setdefault(
                            position, f"{type_def.name}.{field.name}"
                        )
                    for arg in field.args.values():
                        target = named_type(arg.type)
                        if model.kind_of(target) == "ENUM":
                            usage.setdefault(target, {}).setdefault(
                                "input", f"{type_def.name}.{field.name}({arg.name}:)"
                            )
        return usage

    # -- merging ---------------------------------------------------------------------------

    def merge(self) -> MergeResult:
        names: list[str] = []
        for model in self.models:
            names.extend(n for n in model.types if n not in names)
        types: dict[str, SuperType] = {}
        for name in names:
            sources = [
                _Source(m, m.types[name], self.graph[m.name])
                for m in self.models
                if name in m.types
            ]
            merged = self._merge_type(name, sources)
            if merged is not None:
                types[name] = merged
        self._add_interface_object_fields(types)
        roots = {op: name for op, name in ROOT_DEFAULT_NAMES.items() if name in types}
        supergraph = Supergraph(
            graphs=[Graph(self.graph[m.name], m.name, m.url) for m in self.models],
            join_version=join_version(max(m.federation_version for m in self.models)),
            types=types,
            roots=roots,
            executable_directives=self._executable_directives(),
        )
        return MergeResult(supergraph, self.errors, self.hints)

    def _error(self, code: str, message: str, element: str, subgraph: str | None = None) -> None:
        self.errors.append(CompositionError(code, message, subgraph, element))

    def _hint(self, code: str, message: str, element: str) -> None:
        self.hints.append(CompositionHint(code, message, element))

    def _description(self, element: str, described: Sequence[tuple[str, str | None]]) -> str | None:
        texts = [text for _, text in described if text]
        if not texts:
            return None
        counts = Counter(texts)
        chosen = max(texts, key=lambda text: counts[text])  # most common, first on ties
        if len(counts) > 1:
            self._hint(
                "INCONSISTENT_DESCRIPTION",
                f'Element "{element}" has inconsistent descriptions across subgraphs.',
                element,
            )
        return chosen

    def _merge_type(self, name: str, sources: list[_Source]) -> SuperType | None:
        kinds: dict[TypeKind, list[str]] = {}
        for source in sources:
            kind = "INTERFACE" if source.type_def.interface_object else source.type_def.kind
            kinds.setdefault(kind, []).append(source.model.name)
        if len(kinds) > 1:
            (kind_a, in_a), (kind_b, in_b) = list(kinds.items())[:2]
            self._error(
                "TYPE_KIND_MISMATCH",
                f'Type "{name}" has mismatched kind: it is defined as {_KIND_LABEL[kind_a]}'
                f" in subgraph {_quoted(in_a)} but {_KIND_LABEL[kind_b]} in subgraph"
                f" {_quoted(in_b)}",
                name,
            )
            return None
        kind = next(iter(kinds))
        if name not in ROOT_DEFAULT_NAMES.values() and not any(s.type_def.defined for s in sources):
            for source in sources:
                self._error(
                    "EXTENSION_WITH_NO_BASE",
                    f'[{source.model.name}] Type "{name}" is an extension type, but there is no'
                    f' type definition for "{name}" in any subgraph.',
                    name,
                    source.model.name,
                )
            return None
        merged = SuperType(
            name,
            kind,
            self._description(name, [(s.model.name, s.type_def.description) for s in sources]),
            join_types=self._join_types(sources),
            directives=merge_applied(
                [s.type_def.kept for s in sources] + self.access_control.get(name, [])
            ),
        )
        if kind in ("OBJECT", "INTERFACE"):
            self._merge_composite(merged, sources)
        elif kind == "INPUT_OBJECT":
            self._merge_input(merged, sources)
        elif kind == "ENUM":
            self._merge_enum(merged, sources)
        elif kind == "UNION":
            for source in sources:
                for member in source.type_def.members:
                    if member not in merged.members:
                        merged.members.append(member)
                    merged.union_members.append((source.graph, member))
        return merged

    @staticmethod
    def _join_types(sources: list[_Source]) -> list[JoinType]:
        join_types = []
        for source in sources:
            t = source.type_def
            if not t.keys:
                join_types.append(JoinType(source.graph, is_interface_object=t.interface_object))
            for key in t.keys:
                join_types.append(
                    JoinType(
                        source.graph,
                        key.fields,
                        key.of_extension or t.extends,
                        key.resolvable_arg,
                        t.interface_object,
                    )
                )
        return join_types

    # -- object and interface types --------------------------------------------------------

    def _merge_composite(self, merged: SuperType, sources: list[_Source]) -> None:
        for source in sources:
            if source.type_def.interface_object:
                continue
            for interface in source.type_def.interfaces:
                if interface not in merged.interfaces:
                    merged.interfaces.append(interface)
                merged.implements.append((source.graph, interface))
        names: list[str] = []
        for source in sources:
            names.extend(n for n in source.type_def.fields if n not in names)
        for field_name in names:
            field_sources = [
                _FieldSource(s, s.type_def.fields[field_name])
                for s in sources
                if field_name in s.type_def.fields
            ]
            super_field = self._merge_output_field(merged, sources, field_sources)
            if super_field is not None:
                merged.fields[field_name] = super_field

    def _overrides(self, element: str, field_sources: list[_FieldSource]) -> _Overrides:
        """What the @overrides on one field do, with Apollo's errors and hints."""
        by_name = {fs.subgraph: fs for fs in field_sources}
        overriding = {fs.subgraph for fs in field_sources if fs.field.override_from is not None}
        overrides = _Overrides()
        for fs in field_sources:
            origin = fs.field.override_from
            if origin is None or origin == fs.subgraph:  # from itself: a subgraph error
                continue
            target = by_name.get(origin)
            if origin not in self.graph:
                self._hint(
                    "FROM_SUBGRAPH_DOES_NOT_EXIST",
                    f'Source subgraph "{origin}" for field "{element}" on subgraph'
                    f' "{fs.subgraph}" does not exist.',
                    element,
                )
            elif origin in overriding:
                self._error(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{element}" on subgraph "{fs.subgraph}" is also marked with directive'
                    f' @override in subgraph "{origin}". Only one @override directive is allowed'
                    " per field.",
                    element,
                    fs.subgraph,
                )
            elif target is None:
                self._hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{element}" on subgraph "{fs.subgraph}" no longer exists in the from'
                    " subgraph. The @override directive can be removed.",
                    element,
                )
            elif target.field.requires is not None or target.field.provides is not None:
                directive = "requires" if target.field.requires is not None else "provides"
                self._error(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override cannot be used on field "{element}" on subgraph "{fs.subgraph}"'
                    f' since "{element}" on "{origin}" is marked with directive "@{directive}"',
                    element,
                    fs.subgraph,
                )
            elif target.field.external:
                self._hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{element}" on subgraph "{fs.subgraph}" is not resolved anymore by the'
                    f' from subgraph (it is marked "@external" in "{origin}"). The @override'
                    " directive can be removed.",
                    element,
                )
            else:
                parent, _, name = element.partition(".")
                if (parent, name) in self.directive_used[origin]:
                    overrides.used.add(origin)
                else:
                    overrides.unused.add(origin)
                label = fs.field.override_label
                if label is not None:
                    overrides.labels[fs.subgraph] = overrides.labels[origin] = label
                    self._hint(
                        "OVERRIDE_MIGRATION_IN_PROGRESS",
                        f'Field "{element}" is currently being migrated with progressive'
                        f" @override. Once the migration is complete, remove the field from"
                        f' subgraph "{origin}".',
                        element,
                    )
                else:
                    self._hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        f'Field "{element}" on subgraph "{origin}" is overridden. Consider'
                        " removing it.",
                        element,
                    )
        return overrides

    def _merge_output_field(
        self, parent: SuperType, sources: list[_Source], field_sources: list[_FieldSource]
    ) -> SuperField | None:
        element = f"{parent.name}.{field_sources[0].field.name}"
        overrides = self._overrides(element, field_sources)
        internal = [fs for fs in field_sources if not fs.field.external]
        external = [fs for fs in field_sources if fs.field.external]
        if not internal:
            self._error(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{element}" is marked @external on all the subgraphs in which it is'
                f" listed ({_quoted([fs.subgraph for fs in field_sources])}).",
                element,
                field_sources[0].subgraph,
            )
            return None
        field_type = most_general([fs.field.type for fs in internal], self.supertypes)
        if field_type is None:
            self._error(
                "FIELD_TYPE_MISMATCH",
                f'Type of field "{element}" is incompatible across subgraphs: '
                + ", ".join(f'"{type_str(fs.field.type)}" in "{fs.subgraph}"' for fs in internal),
                element,
                internal[-1].subgraph,
            )
            return None
        for fs in external:
            if not is_subtype(fs.field.type, field_type, self.supertypes):
                self._error(
                    "EXTERNAL_TYPE_MISMATCH",
                    f'Type of field "{element}" is incompatible across subgraphs (where marked'
                    f' @external): it has type "{type_str(field_type)}" in the subgraphs that'
                    f' resolve it but type "{type_str(fs.field.type)}" in subgraph'
                    f' "{fs.subgraph}"',
                    element,
                    fs.subgraph,
                )
        if parent.kind == "OBJECT":
            self._check_sharing(element, parent.name, field_sources, overrides)
        args = self._merge_arguments(element, internal)
        all_types_equal = all(same_type(fs.field.type, field_type) for fs in field_sources)
        return SuperField(
            name=field_sources[0].field.name,
            type=field_type,
            description=self._description(
                element, [(fs.subgraph, fs.field.description) for fs in field_sources]
            ),
            args=args,
            join_fields=self._join_fields(sources, field_sources, overrides, all_types_equal),
            directives=merge_applied(
                [fs.field.kept for fs in field_sources] + self.access_control.get(element, [])
            ),
        )

    def _check_sharing(
        self,
        element: str,
        type_name: str,
        field_sources: list[_FieldSource],
        overrides: _Overrides,
    ) -> None:
        resolving = [
            fs
            for fs in field_sources
            if fs.subgraph not in overrides.used | overrides.unused
            and (not fs.field.external or (type_name, fs.field.name) in self.provided[fs.subgraph])
        ]
        if len(resolving) < 2:
            return
        not_shareable = [
            fs.subgraph
            for fs in resolving
            if not fs.field.shareable
            and not fs.field.external
            and (type_name, fs.field.name) not in self.key_fields[fs.subgraph]
        ]
        if not_shareable:
            self._error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{element}" is resolved from multiple subgraphs: it is'
                f" resolved from subgraphs {_quoted([fs.subgraph for fs in resolving])} and"
                f" defined as non-shareable in subgraph {_quoted(not_shareable)}",
                element,
                not_shareable[0],
            )

    @staticmethod
    def _join_fields(
        sources: list[_Source],
        field_sources: list[_FieldSource],
        overrides: _Overrides,
        all_types_equal: bool,
    ) -> list[JoinField]:
        """Apollo's rule: none when every subgraph with the type resolves the field alike."""
        special = any(
            fs.subgraph not in overrides.unused
            and (
                fs.field.external or fs.field.requires is not None or fs.field.provides is not None
            )
            for fs in field_sources
        )
        needed = (
            not all_types_equal
            or bool(overrides.used or overrides.labels or overrides.unused)
            or special
            or len(field_sources) < len(sources)
        )
        if not needed:
            return []
        join_fields = []
        for fs in field_sources:
            f = fs.field
            label = overrides.labels.get(fs.subgraph)
            if fs.subgraph in overrides.unused and label is None:
                continue
            join_fields.append(
                JoinField(
                    fs.source.graph,
                    requires=f.requires,
                    provides=f.provides,
                    type=None if all_types_equal else type_str(f.type),
                    external=f.external,
                    override=f.override_from,
                    override_label=label,
                    used_overridden=fs.subgraph in overrides.used,
                )
            )
        return join_fields

    def _merge_arguments(self, element: str, internal: list[_FieldSource]) -> list[SuperArgument]:
        names: list[str] = []
        for fs in internal:
            names.extend(n for n in fs.field.args if n not in names)
        merged = []
        for name in names:
            arg_element = f"{element}({name}:)"
            present = [
                (fs.subgraph, fs.field.args[name]) for fs in internal if name in fs.field.args
            ]
            missing = [fs.subgraph for fs in internal if name not in fs.field.args]
            if missing:
                required_in = [s for s, a in present if is_required(a.type, a.default)]
                if required_in:
                    self._error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{arg_element}" is required in some subgraphs but does not'
                        f" appear in all subgraphs: it is required in subgraph"
                        f" {_quoted(required_in)} but does not appear in subgraph"
                        f" {_quoted(missing)}",
                        arg_element,
                        missing[0],
                    )
                else:
                    self._hint(
                        "INCONSISTENT_ARGUMENT_PRESENCE",
                        f'Optional argument "{arg_element}" will not be included in the'
                        f" supergraph as it does not appear in all subgraphs: it is defined in"
                        f" subgraph {_quoted([s for s, _ in present])} but not in subgraph"
                        f" {_quoted(missing)}",
                        arg_element,
                    )
                continue
            argument = self._merge_input_value(arg_element, present, "ARGUMENT")
            if argument is not None:
                merged.append(argument)
        return merged

    def _merge_input_value(
        self, element: str, present: list[tuple[str, Argument]], what: str
    ) -> SuperArgument | None:
        value_type = strictest([a.type for _, a in present])
        if value_type is None:
            code = "FIELD_ARGUMENT_TYPE_MISMATCH" if what == "ARGUMENT" else "FIELD_TYPE_MISMATCH"
            self._error(
                code,
                f'Type of {what.lower().replace("_", " ")} "{element}" is incompatible across'
                " subgraphs: " + ", ".join(f'"{type_str(a.type)}" in "{s}"' for s, a in present),
                element,
                present[-1][0],
            )
            return None
        defaults: dict[str, tuple[str, ValueNode]] = {}
        for subgraph, a in present:
            if a.default is not None:
                defaults.setdefault(print_ast(a.default), (subgraph, a.default))
        if len(defaults) > 1:
            self._error(
                _DEFAULT_MISMATCH[what],
                f'{what.replace("_", " ").capitalize()} "{element}" has incompatible default'
                " values across subgraphs: "
                + ", ".join(f'{printed} in "{s}"' for printed, (s, _) in defaults.items()),
                element,
                present[-1][0],
            )
            return None
        default = next(iter(defaults.values()))[1] if defaults else None
        if default is not None and any(a.default is None for _, a in present):
            default = None  # a subgraph without it would see the default applied unasked
            self._hint(
                "INCONSISTENT_DEFAULT_VALUE_PRESENCE",
                f'"{element}" has a default value in only some subgraphs: the supergraph has none.',
                element,
            )
        return SuperArgument(
            name=present[0][1].name,
            type=value_type,
            default=default,
            description=self._description(element, [(s, a.description) for s, a in present]),
            directives=merge_applied([a.kept for _, a in present]),
        )

    def _add_interface_object_fields(self, types: dict[str, SuperType]) -> None:
        """Fields an @interfaceObject adds to an interface belong to every implementation too,
        with the interface field's directives but for access control, which comes down from the
        @interfaceObject fields only (not up from the other implementations)."""
        for interface in types.values():
            if not any(j.is_interface_object for j in interface.join_types):
                continue
            for implementation in types.values():
                if interface.name not in implementation.interfaces:
                    continue
                for name, field in interface.fields.items():
                    if name not in implementation.fields:
                        kept = [d for d in field.directives if d.name not in ACCESS_CONTROL]
                        access = self.access_control.get(f"{implementation.name}.{name}", [])
                        implementation.fields[name] = SuperField(
                            name,
                            field.type,
                            field.description,
                            list(field.args),
                            join_fields=[JoinField(None)],
                            directives=merge_applied([kept, *access]),
                        )

    # -- input objects, enums, directives --------------------------------------------------

    def _merge_input(self, merged: SuperType, sources: list[_Source]) -> None:
        names: list[str] = []
        for source in sources:
            names.extend(n for n in source.type_def.fields if n not in names)
        for name in names:
            element = f"{merged.name}.{name}"
            present = [
                (s.model.name, s.graph, s.type_def.fields[name])
                for s in sources
                if name in s.type_def.fields
            ]
            missing = [s.model.name for s in sources if name not in s.type_def.fields]
            if missing:
                required_in = [s for s, _, f in present if is_required(f.type, f.default)]
                if required_in:
                    self._error(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{element}" is required in some subgraphs but does'
                        f" not appear in all subgraphs: it is required in subgraph"
                        f" {_quoted(required_in)} but does not appear in subgraph"
                        f" {_quoted(missing)}",
                        element,
                        missing[0],
                    )
                else:
                    self._hint(
                        "INCONSISTENT_INPUT_OBJECT_FIELD",
                        f'Input object field "{name}" will not be added to "{merged.name}" in'
                        " the supergraph as it does not appear in all subgraphs: it is defined"
                        f" in subgraph {_quoted([s for s, _, _ in present])} but not in subgraph"
                        f" {_quoted(missing)}.",
                        element,
                    )
                continue
            as_arguments = [
                (s, Argument(f.name, f.type, f.default, f.description, f.kept))
                for s, _, f in present
            ]
            value = self._merge_input_value(element, as_arguments, "INPUT_FIELD")
            if value is None:
                continue
            all_equal = all(same_type(f.type, value.type) for _, _, f in present)
            merged.fields[name] = SuperField(
                name,
                value.type,
                value.description,
                default=value.default,
                join_fields=[]
                if all_equal
                else [JoinField(graph, type=type_str(f.type)) for _, graph, f in present],
                directives=value.directives,
            )
        if not merged.fields and not self.errors:
            self._error(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{merged.name}" are consistently'
                " defined in all the subgraphs defining that type. As only fields common to all"
                " subgraphs are merged, this would result in an empty type.",
                merged.name,
            )

    def _merge_enum(self, merged: SuperType, sources: list[_Source]) -> None:
        usage = self.enum_usage.get(merged.name, {})
        names: list[str] = []
        for source in sources:
            names.extend(n for n in source.type_def.values if n not in names)
        for name in names:
            present = [s for s in sources if name in s.type_def.values]
            values = [s.type_def.values[name] for s in present]
            directives = merge_applied([v.kept for v in values])
            # A value @inaccessible anywhere is kept as it is: no client can send or see it.
            inaccessible = any(d.name == "inaccessible" for d in directives)
            missing = (
                []
                if inaccessible
                else [s.model.name for s in sources if name not in s.type_def.values]
            )
            if missing and "input" in usage and "output" in usage:
                self._error(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{merged.name}" is used as both input type (for example, as type'
                    f' of "{usage["input"]}") and output type (for example, as type of'
                    f' "{usage["output"]}"), but value "{name}" is not defined in all the'
                    f' subgraphs defining "{merged.name}": "{name}" is defined in subgraph'
                    f" {_quoted([s.model.name for s in present])} but not in subgraph"
                    f" {_quoted(missing)}",
                    f"{merged.name}.{name}",
                    missing[0],
                )
                continue
            if missing and "input" in usage:
                self._hint(
                    "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                    f'Value "{name}" of enum type "{merged.name}" will not be part of the'
                    " supergraph as it is not defined in all the subgraphs defining"
                    f' "{merged.name}"',
                    f"{merged.name}.{name}",
                )
                continue
            merged.values[name] = SuperEnumValue(
                name,
                self._description(
                    f"{merged.name}.{name}",
                    [(s.model.name, v.description) for s, v in zip(present, values, strict=True)],
                ),
                [s.graph for s in present],
                directives,
            )
        if not merged.values and not any(e.element == merged.name for e in self.errors):
            self._error(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{merged.name}" are defined consistently in all'
                " the subgraphs defining that type. As only values common to all subgraphs are"
                " merged, this would result in an empty type.",
                merged.name,
            )

    def _executable_directives(self) -> list[str]:
        """Executable directives defined identically in every subgraph reach the supergraph."""
        common = set(self.models[0].executable_directives.items())
        for model in self.models[1:]:
            common &= set(model.executable_directives.items())
        return sorted(definition for _, definition in common)
