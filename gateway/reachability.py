"""What a subgraph can reach from a place in a plan: fields it resolves there, fields it
can get by handing a key to another subgraph (directly or through further jumps), and
fields an enclosing `@provides` hands over. The planner asks these questions to choose
subgraphs and keys; the answers depend only on the supergraph and the enabled labels.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.selection import Field, Selection, SelectionSet
from gateway.supergraph import FieldResolver, Supergraph, TypeDef

MAX_JUMP_DEPTH = 32


class Reachability:
    def __init__(self, supergraph: Supergraph, labels: frozenset[str]) -> None:
        self.supergraph = supergraph
        self.types: Mapping[str, TypeDef] = supergraph.types
        self.possible = supergraph.possible_types
        self.labels = labels

    def can_reenter(self, type_name: str, graph: str, provided: SelectionSet | None) -> bool:
        """Whether another subgraph could fetch fields of this type at this place: it is a
        root type, or an entity whose key this subgraph can hand to another one."""
        if type_name in self.supergraph.root_types.values():
            return True
        return any(
            key.resolvable and self.locally_available(graph, type_name, key.selection_set, provided)
            for g, keys in self.types[type_name].keys.items()
            if g != graph
            for key in keys
        )

    def split(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSet,
        provided: SelectionSet | None,
    ) -> tuple[SelectionSet | None, SelectionSet | None]:
        """Split a selection into what `graph` can reach from here and what it cannot.

        Reaching means resolving locally or jumping on through a key this subgraph can
        provide. What cannot be reached (a value type's field this subgraph lacks, an
        entity whose key it cannot return) must be fetched from another subgraph that
        resolves the enclosing field."""
        type_def = self.types[type_name]
        if type_def.is_abstract:
            return selection_set, None
        present: list[Selection] = []
        missing: list[Selection] = []
        for item in selection_set.collect_fields(type_name, self.possible).values():
            if item.name == "__typename":
                present.append(item)
                continue
            field_def = type_def.fields.get(item.name)
            if field_def is None:
                missing.append(item)
                continue
            resolver = field_def.resolvers.get(graph)
            local = resolver is not None and self.active(resolver) and resolver.requires is None
            provided_here = self.provided_field(provided, type_name, item.name)
            if not (local or provided_here is not None):
                if self.jumpable(graph, type_name, item.name, provided):
                    present.append(item)
                else:
                    missing.append(item)
                continue
            if item.selection_set is None:
                present.append(item)
                continue
            if local and resolver is not None and resolver.provides is not None:
                inner_provided: SelectionSet | None = resolver.provides
            elif provided_here is not None and provided_here.selection_set is not None:
                inner_provided = provided_here.selection_set
            else:
                inner_provided = None
            inner_present, inner_missing = self.split(
                graph, field_def.type_name, item.selection_set, inner_provided
            )
            if inner_missing is not None and self.reachable_by_reentry(
                graph, field_def.type_name, inner_missing, inner_provided
            ):
                present.append(item)  # the planner re-enters that entity from elsewhere
                continue
            if inner_present is not None and inner_present.items:
                present.append(_with_selection(item, inner_present))
            if inner_missing is not None:
                missing.append(_with_selection(item, inner_missing))
        return (
            SelectionSet(tuple(present)),
            SelectionSet(tuple(missing)) if missing else None,
        )

    def reachable_by_reentry(
        self,
        graph: str,
        type_name: str,
        missing: SelectionSet,
        provided: SelectionSet | None,
    ) -> bool:
        """Whether an entity's missing fields can be had by handing its key to another
        subgraph that reaches all of them."""
        for target, keys in self.types[type_name].keys.items():
            if target == graph or not any(
                key.resolvable
                and self.locally_available(graph, type_name, key.selection_set, provided)
                for key in keys
            ):
                continue
            if self.split(target, type_name, missing, None)[1] is None:
                return True
        return False

    def jumpable(
        self,
        graph: str,
        type_name: str,
        field_name: str,
        provided: SelectionSet | None,
        seen: frozenset[tuple[str, str]] = frozenset(),
    ) -> bool:
        """Whether some other subgraph resolves the field and takes a key that `graph` can
        give, directly or by fetching the key's fields through further jumps."""
        if (type_name, field_name) in seen or len(seen) > MAX_JUMP_DEPTH:
            return False
        seen = seen | {(type_name, field_name)}
        type_def = self.types[type_name]
        field_def = type_def.fields[field_name]
        routes = [(g, type_name) for g, r in field_def.resolvers.items() if self.active(r)]
        for interface in type_def.interfaces:
            own = self.types[interface].fields.get(field_name)
            if own is not None:
                routes.extend(
                    (g, interface)
                    for g in self.types[interface].interface_object_in
                    if g in own.resolvers
                )
        for target, entity_type in routes:
            for key in self.types[entity_type].keys.get(target, ()):
                if key.resolvable and self.obtainable(
                    graph, type_name, key.selection_set, provided, seen
                ):
                    return True
        return False

    def obtainable(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSet,
        provided: SelectionSet | None,
        seen: frozenset[tuple[str, str]],
    ) -> bool:
        """Whether these fields can be had at a place of `graph`, locally or by jumps."""
        type_def = self.types.get(type_name)
        if type_def is None:
            return False
        for item in selection_set.collect_fields(type_name, self.possible).values():
            if item.name == "__typename":
                continue
            field_def = type_def.fields.get(item.name)
            if field_def is None:
                return False
            local = self.resolves(graph, type_name, item.name) or (
                self.provided_field(provided, type_name, item.name) is not None
            )
            if not local:
                if not self.jumpable(graph, type_name, item.name, provided, seen):
                    return False
                continue
            if item.selection_set is not None and not self.obtainable(
                graph, field_def.type_name, item.selection_set, None, seen
            ):
                return False
        return True

    def provided_field(
        self, provided: SelectionSet | None, type_name: str, name: str
    ) -> Field | None:
        """The field as an enclosing @provides hands it over for objects of this type."""
        if provided is None:
            return None
        for item in provided.collect_fields(type_name, self.possible).values():
            if item.name == name:
                return item
        return None

    def resolves(self, graph: str, type_name: str, field_name: str) -> bool:
        field_def = self.types[type_name].fields.get(field_name)
        resolver = field_def.resolvers.get(graph) if field_def is not None else None
        return resolver is not None and self.active(resolver) and resolver.requires is None

    def locally_available(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSet,
        provided: SelectionSet | None,
    ) -> bool:
        type_def = self.types.get(type_name)
        if type_def is None:
            return False
        for item in selection_set.collect_fields(type_name, self.possible).values():
            if item.name == "__typename":
                continue
            field_def = type_def.fields.get(item.name)
            if field_def is None:
                return False
            resolver = field_def.resolvers.get(graph)
            local = resolver is not None and self.active(resolver) and resolver.requires is None
            if not local and self.provided_field(provided, type_name, item.name) is None:
                return False
            if item.selection_set is not None and not self.locally_available(
                graph, field_def.type_name, item.selection_set, None
            ):
                return False
        return True

    def active(self, resolver: FieldResolver) -> bool:
        if resolver.enabled_by_label is not None:
            return resolver.enabled_by_label in self.labels
        if resolver.disabled_by_label is not None:
            return resolver.disabled_by_label not in self.labels
        return True


def _with_selection(item: Field, selection_set: SelectionSet) -> Field:
    return Field(item.response_key, item.name, item.arguments, item.variables, selection_set)
