"""The federated query graph: every move a query plan can make between the composed subgraphs.

A vertex is a type as one subgraph sees it (or a copy of one, made for a @provides); edges are

    field      collect a field the subgraph resolves (not @external, not overridden away), with
               its @requires as a condition and a progressive @override label as a guard
    downcast   from an interface or union to an implementation the subgraph knows
    key        jump to another subgraph through its resolvable @key, whose fields are the
               condition (also from an implementation to an @interfaceObject of its interface)
    root       from a root type to the same root type of another subgraph

An @interfaceObject vertex stands for every implementation; a downcast on it needs __typename
from a subgraph that knows the real types. A @provides copies the vertices below its field, and
only the copies gain the provided (otherwise @external) fields. Built once, then only read.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from graphql import FieldNode, GraphQLError, InlineFragmentNode, SelectionSetNode

from schema._fieldset import parse_field_set, select
from schema._model import SubgraphModel, TypeDef, named_type
from schema._supergraph import Supergraph

LEAF_KINDS = frozenset({"SCALAR", "ENUM"})


@dataclass(frozen=True, order=True)
class Vertex:
    subgraph: str
    type: str
    copy: int = 0  # 0 for the type itself, else the id of the @provides copy


@dataclass(frozen=True)
class FieldEdge:
    name: str
    tail: Vertex
    requires: SelectionSetNode | None = None
    override: tuple[str, bool] | None = None  # (label, whether the label is on)


@dataclass(frozen=True)
class KeyEdge:
    tail: Vertex
    fields: str
    condition: SelectionSetNode


@dataclass
class _Edges:
    fields: dict[str, FieldEdge] = field(default_factory=dict)
    downcasts: dict[str, Vertex] = field(default_factory=dict)


@dataclass(frozen=True)
class Unresolvable:
    """Why a field a subgraph declares has no edge: @external, or overridden by `by`."""

    external: bool
    by: tuple[str, ...] = ()


class QueryGraph:
    def __init__(self, supergraph: Supergraph, models: Sequence[SubgraphModel]) -> None:
        self.supergraph = supergraph
        self.models = {m.name: m for m in models}
        self.unresolvable: dict[tuple[str, str, str], Unresolvable] = {}
        self._edges: dict[Vertex, _Edges] = {}
        self._keys: dict[Vertex, list[KeyEdge]] = {}
        self._overlays: dict[Vertex, _Edges] = {}
        self._copies = itertools.count(1)
        overrides = self._overrides(models)
        self._fake_externals = {m.name: _fake_externals(m) for m in models}
        for model in models:
            for type_def in model.types.values():
                if type_def.kind in ("OBJECT", "INTERFACE", "UNION"):
                    self._add_type(model, type_def, overrides)
        for model in models:
            for type_def in model.types.values():
                for key in type_def.keys:
                    if key.resolvable:
                        self._add_key_edges(model, type_def, key.fields)
        self._add_provides(models)

    # -- reading ---------------------------------------------------------------------------

    def type_def(self, v: Vertex) -> TypeDef | None:
        return self.models[v.subgraph].types.get(v.type)

    def kind(self, v: Vertex) -> str | None:
        return self.models[v.subgraph].kind_of(v.type)

    def is_interface_object(self, v: Vertex) -> bool:
        type_def = self.type_def(v)
        return type_def is not None and type_def.interface_object

    def field_edge(self, v: Vertex, name: str) -> FieldEdge | None:
        overlay = self._overlays.get(v)
        if overlay is not None and name in overlay.fields:
            return overlay.fields[name]
        edges = self._edges.get(Vertex(v.subgraph, v.type))
        return edges.fields.get(name) if edges else None

    def downcast(self, v: Vertex, type_name: str) -> Vertex | None:
        overlay = self._overlays.get(v)
        if overlay is not None and type_name in overlay.downcasts:
            return overlay.downcasts[type_name]
        edges = self._edges.get(Vertex(v.subgraph, v.type))
        return edges.downcasts.get(type_name) if edges else None

    def keys(self, v: Vertex) -> list[KeyEdge]:
        return self._keys.get(Vertex(v.subgraph, v.type), [])

    def root_jumps(self, v: Vertex) -> list[Vertex]:
        model = self.models[v.subgraph]
        kind = next((k for k, name in model.roots.items() if name == v.type), None)
        if kind is None:
            return []
        return [
            Vertex(m.name, m.roots[kind])
            for m in self.models.values()
            if kind in m.roots and m.name != v.subgraph
        ]

    def runtime_types(self, v: Vertex) -> frozenset[str]:
        """Object types a value at `v` may be: for an @interfaceObject, only itself."""
        kind = self.kind(v)
        if kind in ("INTERFACE", "UNION"):
            return frozenset(self.models[v.subgraph].implementations(v.type))
        return frozenset({v.type})

    def has_usable_local_key(self, v: Vertex) -> bool:
        """A @key of `v`'s type with no @external field: what resumes a query after @requires."""
        type_def = self.type_def(v)
        if type_def is None:
            return False
        model = self.models[v.subgraph]
        return any(
            not any(
                self.is_external(v.subgraph, s.parent, s.field.name)
                for s in select(model, v.type, k.fields).fields
            )
            for k in type_def.keys
        )

    def is_external(self, subgraph: str, type_name: str, field_name: str) -> bool:
        type_def = self.models[subgraph].types.get(type_name)
        declared = type_def.fields.get(field_name) if type_def else None
        return (
            declared is not None
            and declared.external
            and (type_name, field_name) not in self._fake_externals[subgraph]
        )

    # -- building --------------------------------------------------------------------------

    @staticmethod
    def _overrides(
        models: Sequence[SubgraphModel],
    ) -> dict[tuple[str, str, str], tuple[str, str | None]]:
        """(subgraph, type, field) overridden -> (overriding subgraph, label)."""
        names = {m.name: m for m in models}
        overrides = {}
        for model in models:
            for type_def in model.types.values():
                for f in type_def.fields.values():
                    origin = names.get(f.override_from) if f.override_from else None
                    origin_type = origin.types.get(type_def.name) if origin else None
                    if origin is None or origin_type is None or f.name not in origin_type.fields:
                        continue
                    overrides[(origin.name, type_def.name, f.name)] = (model.name, f.override_label)
        return overrides

    def _add_type(
        self,
        model: SubgraphModel,
        type_def: TypeDef,
        overrides: dict[tuple[str, str, str], tuple[str, str | None]],
    ) -> None:
        edges = _Edges()
        self._edges[Vertex(model.name, type_def.name)] = edges
        if type_def.kind in ("INTERFACE", "UNION"):
            for implementation in model.implementations(type_def.name):
                edges.downcasts[implementation] = Vertex(model.name, implementation)
        if type_def.kind == "INTERFACE":
            self._add_interface_fields(model, type_def, edges)
            return
        for f in type_def.fields.values():
            element = (model.name, type_def.name, f.name)
            overridden = overrides.get(element)
            if self.is_external(model.name, type_def.name, f.name):
                self.unresolvable[element] = Unresolvable(True)
                continue
            guard: tuple[str, bool] | None = None
            if overridden is not None:
                by, label = overridden
                if label is None:
                    self.unresolvable[element] = Unresolvable(False, (by,))
                    continue
                guard = (label, False)
            elif f.override_from is not None and f.override_label is not None:
                origin = overrides.get((f.override_from, type_def.name, f.name))
                guard = (f.override_label, True) if origin is not None else None
            edges.fields[f.name] = FieldEdge(
                f.name,
                Vertex(model.name, named_type(f.type)),
                _parse(f.requires),
                guard,
            )

    def _add_interface_fields(self, model: SubgraphModel, type_def: TypeDef, edges: _Edges) -> None:
        """Fields asked on the interface itself, when every local implementation resolves them
        directly (no @external, no @requires); otherwise a plan has to type-explode."""
        implementations = [model.types[name] for name in model.implementations(type_def.name)]
        for f in type_def.fields.values():
            if all(
                (g := impl.fields.get(f.name)) is not None and not g.external and g.requires is None
                for impl in implementations
            ):
                edges.fields[f.name] = FieldEdge(f.name, Vertex(model.name, named_type(f.type)))

    def _add_key_edges(self, target: SubgraphModel, type_def: TypeDef, fields: str) -> None:
        condition = _parse(fields)
        if condition is None:
            return
        tail = Vertex(target.name, type_def.name)
        for model in self.models.values():
            if model.name == target.name:
                continue
            if type_def.name in model.types:
                self._keys.setdefault(Vertex(model.name, type_def.name), []).append(
                    KeyEdge(tail, fields, condition)
                )
            if not type_def.interface_object:
                continue
            # An entity first met as an implementation can reach the fields an
            # @interfaceObject adds to its interface, when the key fits the implementation.
            for implementation in _implementations(self.supergraph, type_def.name):
                if (
                    implementation in model.types
                    and not select(model, implementation, fields).problems
                ):
                    self._keys.setdefault(Vertex(model.name, implementation), []).append(
                        KeyEdge(tail, fields, condition)
                    )

    def _add_provides(self, models: Iterable[SubgraphModel]) -> None:
        for model in models:
            for type_def in model.types.values():
                if type_def.kind != "OBJECT":
                    continue
                edges = self._edges[Vertex(model.name, type_def.name)]
                for name, edge in list(edges.fields.items()):
                    provides = type_def.fields[name].provides
                    selection = _parse(provides)
                    if selection is not None:
                        copy = self._provided_copy(edge.tail, selection)
                        edges.fields[name] = replace(edge, tail=copy)

    def _provided_copy(self, base: Vertex, selection: SelectionSetNode) -> Vertex:
        """A copy of `base` that also resolves the fields `selection` provides below it."""
        copy = Vertex(base.subgraph, base.type, next(self._copies))
        self._overlays[copy] = _Edges()
        self._provide(copy, base, selection)
        return copy

    def _provide(self, copy: Vertex, base: Vertex, selection: SelectionSetNode) -> None:
        overlay = self._overlays[copy]
        type_def = self.models[base.subgraph].types.get(base.type)
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                if node.type_condition is None:
                    self._provide(copy, base, node.selection_set)
                    continue
                condition = node.type_condition.name.value
                target = self.downcast(base, condition)
                if target is not None:
                    overlay.downcasts[condition] = self._provided_copy(target, node.selection_set)
                continue
            if not isinstance(node, FieldNode) or type_def is None:
                continue
            name = node.name.value
            existing = self.field_edge(base, name)
            if existing is None:
                declared = type_def.fields.get(name)
                if declared is None:
                    continue
                existing = FieldEdge(name, Vertex(base.subgraph, named_type(declared.type)))
            if node.selection_set is not None:
                existing = replace(
                    existing, tail=self._provided_copy(existing.tail, node.selection_set)
                )
            overlay.fields[name] = existing


def _fake_externals(model: SubgraphModel) -> set[tuple[str, str]]:
    """Key fields marked @external on a type extension: Federation 1 asked for that marking, so
    Federation 2 reads them as resolvable here (Apollo does the same)."""
    fake = set()
    for type_def in model.types.values():
        if not type_def.extension:
            continue
        for key in type_def.keys:
            for selected in select(model, type_def.name, key.fields).fields:
                if selected.field.external:
                    fake.add((selected.parent, selected.field.name))
    return fake


def _implementations(supergraph: Supergraph, abstract: str) -> list[str]:
    t = supergraph.types.get(abstract)
    if t is None:
        return []
    if t.kind == "UNION":
        return list(t.members)
    return [
        o.name for o in supergraph.types.values() if o.kind == "OBJECT" and abstract in o.interfaces
    ]


def _parse(text: str | None) -> SelectionSetNode | None:
    if text is None:
        return None
    try:
        return parse_field_set(text)
    except GraphQLError:
        return None
