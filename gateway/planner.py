"""Stage 3: plan an operation over the supergraph model.

A pure function from (supergraph, normalised operation, enabled override labels) to a
QueryPlan. The planner walks the operation once, keeping a *fetch group* per (subgraph, place in
the response) it has to ask:

- a field the current subgraph resolves at this place is added to the current group;
- any other field makes the planner *jump*: it picks the subgraph that resolves the field
  (preferring one already asked at this place, then the one resolving most sibling fields),
  picks a `@key` of the entity that subgraph accepts and whose fields can be had here, adds
  `__typename` and the key (and any `@requires` fields, planned the same way) to the current
  group, and continues in an `_entities` group of the target subgraph;
- abstract types are planned per possible runtime type the subgraph can return, which is what
  lets implementations live in different subgraphs; an `@interfaceObject` subgraph is asked
  with the interface's name as `__typename`, and the real type is fetched where it is known.

Groups remember which groups must finish before them; the plan is then read off that graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.errors import PlanningError
from gateway.operation import Operation
from gateway.plan import Fetch, Flatten, Parallel, PlanNode, QueryPlan, Sequence
from gateway.selection import Field, InlineFragment, Selection, SelectionSet, print_selection_set
from gateway.supergraph import FieldDef, FieldResolver, Key, Supergraph

_MAX_JUMP_DEPTH = 32
_TYPENAME = Field("__typename", "__typename", "", frozenset(), None)


def plan_operation(
    supergraph: Supergraph, operation: Operation, labels: frozenset[str] = frozenset()
) -> QueryPlan:
    return _Planner(supergraph, operation, labels).plan()


class _Builder:
    """A selection set of a subgraph request under construction."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Field, _Builder | None]] = {}
        self.fragments: dict[str, _Builder] = {}

    def field(self, item: Field, composite: bool) -> _Builder | None:
        existing = self.entries.get(item.response_key)
        if existing is not None:
            known, child = existing
            if known.name != item.name or known.arguments != item.arguments:
                raise PlanningError(
                    f"response key {item.response_key!r} is used for two different fields "
                    f"({known.name}{known.arguments} and {item.name}{item.arguments}) where the "
                    "gateway needs one of them for federation"
                )
            return child
        child = _Builder() if composite else None
        self.entries[item.response_key] = (item, child)
        return child

    def fragment(self, type_condition: str) -> _Builder:
        child = self.fragments.get(type_condition)
        if child is None:
            child = self.fragments[type_condition] = _Builder()
        return child

    def __bool__(self) -> bool:
        return bool(self.entries) or any(self.fragments.values())

    def freeze(self) -> SelectionSet:
        items: list[Selection] = []
        for item, child in self.entries.values():
            if child is None:
                items.append(item)
            else:
                items.append(
                    Field(
                        item.response_key, item.name, item.arguments, item.variables, child.freeze()
                    )
                )
        for condition, child in self.fragments.items():
            if child:
                items.append(InlineFragment(condition, child.freeze()))
        return SelectionSet(tuple(items))

    def variables(self) -> set[str]:
        names: set[str] = set()
        for item, child in self.entries.values():
            names |= item.variables
            if child is not None:
                names |= child.variables()
        for child in self.fragments.values():
            names |= child.variables()
        return names


@dataclass
class _Group:
    index: int
    graph: str
    path: tuple[str, ...]
    is_entity: bool
    selection: _Builder = field(default_factory=_Builder)
    requires: _Builder = field(default_factory=_Builder)
    dependencies: set[int] = field(default_factory=set)
    typename_rewrites: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Place:
    """Where in a group's request and in the response the planner currently is."""

    group: _Group
    builder: _Builder
    path: tuple[str, ...]
    provided: Mapping[str, Field] | None  # fields an enclosing @provides makes local here


class _Planner:
    def __init__(self, supergraph: Supergraph, operation: Operation, labels: frozenset[str]):
        self.supergraph = supergraph
        self.types = supergraph.types
        self.possible = supergraph.possible_types
        self.operation = operation
        self.labels = labels
        self.groups: list[_Group] = []
        self.children: dict[tuple[int, str, tuple[str, ...], bool], _Group] = {}
        self.resolving: set[tuple[str, str]] = set()  # (type, field) jumps under way
        self.depth = 0

    # -- entry ---------------------------------------------------------------------------

    def plan(self) -> QueryPlan:
        root = self.operation.root_type
        fields = self.operation.selection_set.collect_fields(root, self.possible)
        roots: list[_Group] = []
        for item in fields.values():
            if item.name == "__typename":
                continue  # answered by the gateway: it is the root type's name
            self._plan_root_field(root, item, fields, roots, frozenset())
        return QueryPlan(self._emit(roots))

    def _plan_root_field(
        self,
        root: str,
        item: Field,
        siblings: Mapping[str, Field],
        roots: list[_Group],
        exclude: frozenset[str],
    ) -> None:
        graph = self._choose_root_graph(root, item, roots, exclude)
        if self.operation.kind == "mutation":
            # Mutation fields run one after another; consecutive fields of one subgraph
            # can share a request because the subgraph runs them in order too.
            group = roots[-1] if roots and roots[-1].graph == graph else None
        else:
            group = next((g for g in roots if g.graph == graph), None)
        if group is None:
            group = self._new_group(graph, (), is_entity=False)
            roots.append(group)
        place = _Place(group, group.selection, (), None)
        missing = self._plan_field(place, root, item, siblings)
        if missing is not None:
            self._plan_root_field(root, missing, siblings, roots, exclude | {graph})

    def _choose_root_graph(
        self, root: str, item: Field, roots: list[_Group], exclude: frozenset[str]
    ) -> str:
        field_def = self._field_def(root, item.name)
        candidates = [
            g
            for g, r in field_def.resolvers.items()
            if self._active(r) and not r.requires and g not in exclude
        ]
        if not candidates:
            raise PlanningError(f"no subgraph resolves {root}.{item.name}")
        used = [g.graph for g in roots if g.graph in candidates]
        if used:
            return used[-1] if self.operation.kind == "mutation" else used[0]
        if item.selection_set is not None:
            # A value type may be split across subgraphs: prefer the one that has most of it.
            def reach(graph: str) -> int:
                _, missing = self._split_reachable(
                    graph,
                    field_def.type_name,
                    item.selection_set,
                    None,  # type: ignore[arg-type]
                )
                return -len(missing.items) if missing is not None else 0

            return max(candidates, key=lambda g: (reach(g), -candidates.index(g)))
        return candidates[0]

    # -- walking the operation -------------------------------------------------------------

    def _plan_selection(
        self, place: _Place, type_name: str, selection_set: SelectionSet
    ) -> set[int]:
        """Plan a selection at a place whose static type is `type_name`; return the groups
        (besides the place's own) that contribute to it."""
        type_def = self.types[type_name]
        graph = place.group.graph
        if not type_def.is_abstract:
            fields = selection_set.collect_fields(type_name, self.possible)
            return self._plan_fields(place, type_name, fields)
        if graph in type_def.interface_object_in:
            return self._plan_interface_object(place, type_name, selection_set)
        place.builder.field(_TYPENAME, composite=False)
        deps: set[int] = set()
        for runtime in sorted(self.supergraph.possible_types_in(graph, type_name)):
            fields = selection_set.collect_fields(runtime, self.possible)
            if not fields or set(fields) == {"__typename"}:
                continue
            fragment = _Place(
                place.group, place.builder.fragment(runtime), place.path, place.provided
            )
            deps |= self._plan_fields(fragment, runtime, fields)
        return deps

    def _plan_interface_object(
        self, place: _Place, interface: str, selection_set: SelectionSet
    ) -> set[int]:
        """A subgraph that sees an interface as an object knows neither the implementations
        nor the real __typename: plan interface fields here, the rest where types are known."""
        own = selection_set.collect_fields(interface, self.possible)
        deps = self._plan_fields(
            place, interface, {k: f for k, f in own.items() if f.name != "__typename"}
        )
        needs_runtime_type = "__typename" in own or _has_type_specific(selection_set, interface)
        if not needs_runtime_type:
            return deps
        place.builder.field(_TYPENAME, composite=False)
        graphs = [
            g
            for g, keys in self.types[interface].keys.items()
            if g not in self.types[interface].interface_object_in
            and any(k.resolvable for k in keys)
        ]
        if not graphs:
            raise PlanningError(f"no subgraph can tell the runtime type of {interface}")
        target = graphs[0]
        found = self._choose_key(place, interface, target, interface)
        if found is None:
            raise PlanningError(f"no key of {interface} can be provided to find its runtime type")
        child = self._entity_group(place, interface, target, found[0], None, None)
        inner = _Place(child, child.selection.fragment(interface), place.path, None)
        self._plan_selection(inner, interface, selection_set)
        return deps | {child.index}

    def _plan_fields(self, place: _Place, type_name: str, fields: Mapping[str, Field]) -> set[int]:
        deps: set[int] = set()
        for item in fields.values():
            missing = self._plan_field(place, type_name, item, fields, deps)
            if missing is not None:
                field_def = self._field_def(type_name, item.name)
                deps |= self._jump(
                    place, type_name, missing, field_def, fields, exclude=place.group.graph
                )
        return deps

    def _plan_field(
        self,
        place: _Place,
        type_name: str,
        item: Field,
        siblings: Mapping[str, Field],
        deps: set[int] | None = None,
    ) -> Field | None:
        """Plan one field at a place. Returns the part of a value-typed field's selection that
        this subgraph cannot reach, for the caller to fetch from another subgraph."""
        deps = set() if deps is None else deps
        if item.name == "__typename":
            place.builder.field(item, composite=False)
            return None
        field_def = self._field_def(type_name, item.name)
        resolver = field_def.resolvers.get(place.group.graph)
        local = resolver is not None and self._active(resolver) and resolver.requires is None
        provided = place.provided.get(item.name) if place.provided is not None else None
        if not (local or provided is not None):
            deps |= self._jump(place, type_name, item, field_def, siblings)
            return None
        if item.selection_set is None:
            place.builder.field(item, composite=False)
            return None
        if resolver is not None and local and resolver.provides is not None:
            inner_provided: Mapping[str, Field] | None = _provided_abstract(resolver.provides)
        elif provided is not None and provided.selection_set is not None:
            inner_provided = _provided_abstract(provided.selection_set)
        else:
            inner_provided = None
        selection, missing = item.selection_set, None
        if self._can_reenter(type_name, place.group.graph):
            selection, missing = self._split_reachable(
                place.group.graph, field_def.type_name, item.selection_set, inner_provided
            )
        if selection is not None and selection.items:
            child_builder = place.builder.field(item, composite=True)
            assert child_builder is not None
            inner = _Place(
                place.group,
                child_builder,
                _child_path(place.path, item.response_key, field_def.list_depth),
                inner_provided,
            )
            deps |= self._plan_selection(inner, field_def.type_name, selection)
        if missing is None:
            return None
        return Field(item.response_key, item.name, item.arguments, item.variables, missing)

    def _can_reenter(self, type_name: str, graph: str) -> bool:
        """Whether another subgraph could fetch a field of this type at this place."""
        type_def = self.types[type_name]
        return type_name in self.supergraph.root_types.values() or any(
            g != graph for g, keys in type_def.keys.items() if any(k.resolvable for k in keys)
        )

    def _split_reachable(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSet,
        provided: Mapping[str, Field] | None,
    ) -> tuple[SelectionSet | None, SelectionSet | None]:
        """Split a selection into what `graph` can reach from here and what it cannot.

        Reaching means resolving locally or jumping through a key; fields of value types
        that this subgraph lacks cannot be reached and must come from another subgraph."""
        type_def = self.types[type_name]
        if (
            type_def.is_abstract
            or type_def.is_entity_in(graph)
            or any(k.resolvable for keys in type_def.keys.values() for k in keys)
        ):
            return selection_set, None
        present: list[Selection] = []
        missing: list[Selection] = []
        for item in selection_set.collect_fields(type_name, self.possible).values():
            if item.name == "__typename":
                present.append(item)
                continue
            field_def = type_def.fields.get(item.name)
            resolver = field_def.resolvers.get(graph) if field_def else None
            local = resolver is not None and self._active(resolver) and resolver.requires is None
            if field_def is None or not (local or (provided is not None and item.name in provided)):
                missing.append(item)
                continue
            if item.selection_set is None:
                present.append(item)
                continue
            inner_present, inner_missing = self._split_reachable(
                graph, field_def.type_name, item.selection_set, None
            )
            if inner_present is not None and inner_present.items:
                present.append(
                    Field(
                        item.response_key, item.name, item.arguments, item.variables, inner_present
                    )
                )
            if inner_missing is not None:
                missing.append(
                    Field(
                        item.response_key, item.name, item.arguments, item.variables, inner_missing
                    )
                )
        return (
            SelectionSet(tuple(present)),
            SelectionSet(tuple(missing)) if missing else None,
        )

    # -- jumping between subgraphs -----------------------------------------------------------

    def _jump(
        self,
        place: _Place,
        type_name: str,
        item: Field,
        field_def: FieldDef,
        siblings: Mapping[str, Field],
        exclude: str | None = None,
    ) -> set[int]:
        self.depth += 1
        if self.depth > _MAX_JUMP_DEPTH:
            raise PlanningError(f"no way to resolve {type_name}.{item.name} without a cycle")
        self.resolving.add((type_name, item.name))
        try:
            target, via, resolver, key = self._choose_target(
                place, type_name, item, field_def, siblings, exclude
            )
            entity_type = via or type_name
            child = self._entity_group(place, type_name, target, key, resolver, via)
            target_field = self._field_def(entity_type, item.name) if via else field_def
            child_builder = child.selection.fragment(entity_type).field(
                item, composite=item.selection_set is not None
            )
            if item.selection_set is not None and child_builder is not None:
                provided = (
                    _provided_abstract(resolver.provides)
                    if resolver is not None and resolver.provides is not None
                    else None
                )
                inner = _Place(
                    child,
                    child_builder,
                    _child_path(place.path, item.response_key, target_field.list_depth),
                    provided,
                )
                self._plan_selection(inner, target_field.type_name, item.selection_set)
            return {child.index}
        finally:
            self.depth -= 1
            self.resolving.discard((type_name, item.name))

    def _choose_target(
        self,
        place: _Place,
        type_name: str,
        item: Field,
        field_def: FieldDef,
        siblings: Mapping[str, Field],
        exclude: str | None,
    ) -> tuple[str, str | None, FieldResolver, Key]:
        """Pick the subgraph to jump to: one that accepts a key we can provide, preferring a
        request already planned at this place, a key available without another jump, then
        the subgraph resolving most sibling fields."""
        candidates: list[tuple[str, str | None, FieldResolver]] = []
        for graph, resolver in field_def.resolvers.items():
            if graph != exclude and self._active(resolver):
                candidates.append((graph, None, resolver))
        for interface in sorted(self.types[type_name].interfaces):
            own = self.types[interface].fields.get(item.name)
            if own is None:
                continue
            for graph in sorted(self.types[interface].interface_object_in):
                resolver = own.resolvers.get(graph)
                if resolver is not None and graph != exclude and self._active(resolver):
                    candidates.append((graph, interface, resolver))
        scored = []
        for order, (graph, via, resolver) in enumerate(candidates):
            found = self._choose_key(place, type_name, graph, via or type_name)
            if found is None:
                continue
            key, key_is_local = found
            reused = (place.group.index, graph, place.path, resolver.requires is not None)
            covered = sum(
                1
                for sibling in siblings.values()
                if (d := self.types[type_name].fields.get(sibling.name)) is not None
                and graph in d.resolvers
            )
            rank = (reused in self.children, key_is_local, covered, -order)
            scored.append((rank, graph, via, resolver, key))
        if not scored:
            raise PlanningError(
                f"no subgraph can resolve {type_name}.{item.name} from subgraph "
                f"{self._graph_name(place.group.graph)}"
            )
        _, graph, via, resolver, key = max(scored, key=lambda entry: entry[0])
        return graph, via, resolver, key

    def _choose_key(
        self, place: _Place, type_name: str, target: str, entity_type: str
    ) -> tuple[Key, bool] | None:
        """A key of the target we can provide: one already at hand if possible, else one
        whose fields are not the very fields being resolved (that would loop)."""
        keys = [k for k in self.types[entity_type].keys.get(target, ()) if k.resolvable]
        for key in keys:
            if self._locally_available(
                place.group.graph, type_name, key.selection_set, place.provided
            ):
                return key, True
        for key in keys:
            if not any(
                (type_name, item.name) in self.resolving
                for item in key.selection_set.items
                if isinstance(item, Field)
            ):
                return key, False
        return None

    def _locally_available(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSet,
        provided: Mapping[str, Field] | None,
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
            local = resolver is not None and self._active(resolver) and resolver.requires is None
            if not local and (provided is None or item.name not in provided):
                return False
            if item.selection_set is not None and not self._locally_available(
                graph, field_def.type_name, item.selection_set, None
            ):
                return False
        return True

    def _entity_group(
        self,
        place: _Place,
        type_name: str,
        target: str,
        key: Key,
        resolver: FieldResolver | None,
        via: str | None,
    ) -> _Group:
        needs_requires = resolver is not None and resolver.requires is not None
        lookup = (place.group.index, target, place.path, needs_requires)
        child = self.children.get(lookup)
        if child is None:
            child = self._new_group(target, place.path, is_entity=True)
            self.children[lookup] = child
        child.dependencies.add(place.group.index)
        # The representation: __typename, the key, and whatever the field @requires.
        place.builder.field(_TYPENAME, composite=False)
        representation = child.requires.fragment(type_name)
        representation.field(_TYPENAME, composite=False)
        child.dependencies |= self._plan_into_both(
            place, type_name, key.selection_set, representation
        )
        if needs_requires:
            assert resolver is not None and resolver.requires is not None
            child.dependencies |= self._plan_into_both(
                place, type_name, resolver.requires, representation
            )
        if via is not None:
            child.typename_rewrites[type_name] = via
        child.dependencies.discard(child.index)
        return child

    def _plan_into_both(
        self, place: _Place, type_name: str, selection_set: SelectionSet, representation: _Builder
    ) -> set[int]:
        """Plan federation-required fields at `place` and copy them into a representation."""
        _copy_into(representation, selection_set)
        return self._plan_selection(place, type_name, selection_set)

    # -- helpers -----------------------------------------------------------------------------

    def _active(self, resolver: FieldResolver) -> bool:
        if resolver.enabled_by_label is not None:
            return resolver.enabled_by_label in self.labels
        if resolver.disabled_by_label is not None:
            return resolver.disabled_by_label not in self.labels
        return True

    def _field_def(self, type_name: str, name: str) -> FieldDef:
        field_def = self.types[type_name].fields.get(name)
        if field_def is None:
            raise PlanningError(f"{type_name}.{name} is not in the supergraph")
        return field_def

    def _graph_name(self, graph: str) -> str:
        return self.supergraph.graphs[graph].name

    def _new_group(self, graph: str, path: tuple[str, ...], *, is_entity: bool) -> _Group:
        group = _Group(len(self.groups), graph, path, is_entity)
        self.groups.append(group)
        return group

    # -- emitting the plan -------------------------------------------------------------------

    def _emit(self, roots: list[_Group]) -> PlanNode | None:
        live = [g for g in self.groups if g.selection]
        if not live:
            return None
        descendants = {root.index: self._descendants(root, live) for root in roots}
        if self.operation.kind == "mutation":
            nodes = [self._emit_stages([root, *descendants[root.index]]) for root in roots]
            return _sequence(nodes)
        return self._emit_stages(live)

    def _descendants(self, root: _Group, live: list[_Group]) -> list[_Group]:
        reached = {root.index}
        found: list[_Group] = []
        changed = True
        while changed:
            changed = False
            for group in live:
                if group.index not in reached and group.dependencies & reached:
                    reached.add(group.index)
                    found.append(group)
                    changed = True
        return found

    def _emit_stages(self, groups: list[_Group]) -> PlanNode:
        """Turn groups into nodes: a tree when each group waits for one other, stages of
        parallel fetches when some group waits for several."""
        members = {g.index for g in groups}
        parents = {g.index: g.dependencies & members for g in groups}
        if all(len(p) <= 1 for p in parents.values()):
            by_parent: dict[int | None, list[_Group]] = {}
            for group in groups:
                parent = next(iter(parents[group.index]), None)
                by_parent.setdefault(parent, []).append(group)
            return _parallel([self._emit_tree(g, by_parent) for g in by_parent.get(None, [])])
        depth: dict[int, int] = {}

        def depth_of(group: _Group) -> int:
            if group.index not in depth:
                depth[group.index] = 0  # guards against cycles while recursing
                depth[group.index] = 1 + max(
                    (depth_of(self.groups[i]) for i in parents[group.index]), default=-1
                )
            return depth[group.index]

        stages: dict[int, list[PlanNode]] = {}
        for group in groups:
            stages.setdefault(depth_of(group), []).append(self._fetch_node(group))
        return _sequence([_parallel(stages[d]) for d in sorted(stages)])

    def _emit_tree(self, group: _Group, by_parent: dict[int | None, list[_Group]]) -> PlanNode:
        node = self._fetch_node(group)
        children = by_parent.get(group.index, [])
        if not children:
            return node
        return _sequence([node, _parallel([self._emit_tree(c, by_parent) for c in children])])

    def _fetch_node(self, group: _Group) -> PlanNode:
        graph = self.supergraph.graphs[group.graph]
        selection = group.selection.freeze()
        variables = sorted(group.selection.variables())
        definitions = [self.operation.variable_definitions[v] for v in variables]
        if group.is_entity:
            requires = group.requires.freeze()
            definitions.insert(0, "$representations: [_Any!]!")
            body = (
                "{_entities(representations: $representations)"
                + print_selection_set(selection)
                + "}"
            )
            kind = "query"
        else:
            requires = None
            body = print_selection_set(selection)
            kind = self.operation.kind
        head = kind + ("(" + ", ".join(definitions) + ")" if definitions else "")
        fetch = Fetch(
            service_name=graph.name,
            url=graph.url,
            operation=f"{head} {body}",
            operation_kind=kind,
            variable_usages=tuple(variables),
            selection_set=selection,
            requires=requires,
            typename_rewrites=dict(group.typename_rewrites),
        )
        return Flatten(group.path, fetch) if group.is_entity else fetch


def _child_path(path: tuple[str, ...], key: str, list_depth: int) -> tuple[str, ...]:
    return (*path, key, *("@",) * list_depth)


def _copy_into(builder: _Builder, selection_set: SelectionSet) -> None:
    for item in selection_set.items:
        if isinstance(item, Field):
            child = builder.field(item, composite=item.selection_set is not None)
            if child is not None and item.selection_set is not None:
                _copy_into(child, item.selection_set)
        elif item.type_condition is None:
            _copy_into(builder, item.selection_set)
        else:
            _copy_into(builder.fragment(item.type_condition), item.selection_set)


def _provided_abstract(selection_set: SelectionSet) -> dict[str, Field]:
    """Provided fields by name, type conditions flattened: provides is checked per field name."""
    found: dict[str, Field] = {}
    for item in selection_set.items:
        if isinstance(item, Field):
            found[item.name] = item
        else:
            found.update(_provided_abstract(item.selection_set))
    return found


def _has_type_specific(selection_set: SelectionSet, interface: str) -> bool:
    return any(
        isinstance(item, InlineFragment)
        and (
            item.type_condition not in (None, interface)
            or _has_type_specific(item.selection_set, interface)
        )
        for item in selection_set.items
    )


def _sequence(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, Sequence) else (node,))
    return flat[0] if len(flat) == 1 else Sequence(tuple(flat))


def _parallel(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, Parallel) else (node,))
    return flat[0] if len(flat) == 1 else Parallel(tuple(flat))
