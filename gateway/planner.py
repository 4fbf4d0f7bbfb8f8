"""Stage 3: plan an operation over the supergraph model.

A pure function from (supergraph, normalised operation, enabled override labels) to a
QueryPlan. The planner walks the operation once, filling one *fetch group* per request it
needs (gateway/fetch_groups.py):

- a field the current subgraph resolves at this place goes into the current group;
- any other field makes the planner *jump*: it picks a subgraph that resolves the field and
  accepts a `@key` the current group can provide (preferring one that reaches the field's
  whole selection, then a request already planned at this place, a key at hand, and the
  subgraph resolving most sibling fields), adds `__typename`, the key and any `@requires`
  fields (planned the same way, so they may jump too) to the current group, and continues in
  an `_entities` group of the target; when the subgraph is already asked about an enclosing
  entity, the field is asked for through that entity instead of with a request of its own;
- what a subgraph cannot reach below a value type (a field only other subgraphs have) is
  fetched again from another subgraph at the nearest entity or root field;
- abstract types are planned per runtime type the subgraph can return, which is what lets
  implementations live in different subgraphs; an `@interfaceObject` subgraph is asked with
  the interface's name as `__typename`, and the real type is fetched where it is known;
- a root field several subgraphs resolve goes where a trial plan of it needs fewest fetches.

Groups record which groups must finish before them; the plan is read off that graph.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from gateway.errors import PlanningError
from gateway.fetch_groups import FetchGroup, SelectionBuilder, copy_into, emit_plan
from gateway.operation import INTROSPECTION_ROOT_FIELDS, Operation
from gateway.plan import QueryPlan
from gateway.reachability import MAX_JUMP_DEPTH, Reachability
from gateway.selection import Field, InlineFragment, Selection, SelectionSet
from gateway.supergraph import FieldDef, FieldResolver, Key, Supergraph

_TYPENAME = Field("__typename", "__typename", "", frozenset(), None)


def plan_operation(
    supergraph: Supergraph, operation: Operation, labels: frozenset[str] = frozenset()
) -> QueryPlan:
    return _Planner(supergraph, operation, labels).plan()


@dataclass(frozen=True)
class _Place:
    """Where in a group's request and in the response the planner currently is."""

    group: FetchGroup
    builder: SelectionBuilder
    path: tuple[str, ...]
    provided: SelectionSet | None  # what an enclosing @provides makes local here
    anchor: _Anchor | None = None


@dataclass(frozen=True)
class _Anchor:
    """The nearest enclosing entity in the same group, and the fields leading from it here:
    a subgraph already asked about that entity can be asked for this field as well."""

    place: _Place
    type_name: str
    chain: tuple[tuple[str, Field], ...]  # (parent type, field) steps below the entity
    outer: _Anchor | None = None  # the entity enclosing this one, its chain reaching here


class _Planner:
    def __init__(
        self,
        supergraph: Supergraph,
        operation: Operation,
        labels: frozenset[str],
        forced: Mapping[str, str] | None = None,
        excluded: frozenset[str] = frozenset(),
    ) -> None:
        self.supergraph = supergraph
        self.reach = Reachability(supergraph, labels)
        # For trial plans: the root field's subgraph, and subgraphs already tried for it.
        self.forced = forced or {}
        self.excluded = excluded
        self.types = supergraph.types
        self.possible = supergraph.possible_types
        self.operation = operation
        self.labels = labels
        self.groups: list[FetchGroup] = []
        self.children: dict[tuple[int, str, tuple[str, ...], frozenset[int]], list[FetchGroup]] = {}
        self.planned_at: set[tuple[int, str, tuple[str, ...]]] = set()
        self.resolving: set[tuple[str, str]] = set()  # (type, field) jumps under way
        self.depth = 0

    # -- entry ---------------------------------------------------------------------------

    def plan(self) -> QueryPlan:
        root = self.operation.root_type
        fields = self.operation.selection_set.collect_fields(root, self.possible)
        roots: list[FetchGroup] = []
        for item in fields.values():
            if item.name == "__typename" or item.name in INTROSPECTION_ROOT_FIELDS:
                continue  # answered by the gateway from the API schema
            self._plan_root_field(root, item, fields, roots, frozenset())
        return QueryPlan(
            emit_plan(
                self.groups,
                roots,
                self.supergraph.graphs,
                self.operation.kind,
                self.operation.variable_definitions,
            )
        )

    def _plan_root_field(
        self,
        root: str,
        item: Field,
        siblings: Mapping[str, Field],
        roots: list[FetchGroup],
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
        self, root: str, item: Field, roots: list[FetchGroup], exclude: frozenset[str]
    ) -> str:
        field_def = self._field_def(root, item.name)
        exclude = exclude | self.excluded
        candidates = [
            g
            for g, r in field_def.resolvers.items()
            if self.reach.active(r) and not r.requires and g not in exclude
        ]
        if not candidates:
            raise PlanningError(f"no subgraph resolves {root}.{item.name}")
        forced = self.forced.get(item.response_key)
        if forced is not None and forced not in exclude:
            return forced
        if len(candidates) == 1:
            return candidates[0]
        # Several subgraphs can start this field: plan it alone from each and keep the one
        # needing the fewest fetches (a request already planned for a subgraph is free).
        used = {g.graph for g in roots}
        costs = []
        for order, graph in enumerate(candidates):
            fetches = self._trial_fetches(root, item, graph, exclude)
            if fetches is not None:
                costs.append((fetches - (graph in used), order, graph))
        if not costs:
            raise PlanningError(f"no subgraph can resolve all of {root}.{item.name} as selected")
        return min(costs)[2]

    def _trial_fetches(
        self, root: str, item: Field, graph: str, exclude: frozenset[str]
    ) -> int | None:
        alone = Operation(
            kind=self.operation.kind,
            root_type=root,
            selection_set=SelectionSet((item,)),
            introspection=None,
            variable_definitions=self.operation.variable_definitions,
        )
        trial = _Planner(self.supergraph, alone, self.labels, {item.response_key: graph}, exclude)
        try:
            return len(trial.plan().fetches())
        except PlanningError:
            return None

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
        self._alias_conflicts(place.group, place.builder)
        return deps

    def _alias_conflicts(self, group: FetchGroup, builder: SelectionBuilder) -> None:
        """Sibling fragments may ask for one response key with different types in this
        subgraph (`ID` on one type, `ID!` on another), which GraphQL validation refuses:
        keep the first type's key and rename the others, for the executor to rename back."""
        types_by_key: dict[str, list[str]] = {}
        for runtime, fragment in builder.fragments.items():
            for key, (item, _) in fragment.entries.items():
                if item.name == "__typename":
                    continue
                type_ref = self._type_in(group.graph, runtime, item.name)
                if type_ref not in types_by_key.setdefault(key, []):
                    types_by_key[key].append(type_ref)
        for key, type_refs in types_by_key.items():
            if len(type_refs) < 2:
                continue
            group.aliased = True
            for runtime, fragment in builder.fragments.items():
                entry = fragment.entries.get(key)
                if entry is None:
                    continue
                number = type_refs.index(self._type_in(group.graph, runtime, entry[0].name))
                if number > 0:
                    item, child = fragment.entries.pop(key)
                    alias = f"{key}__alias_{number}"
                    fragment.entries[alias] = (
                        Field(alias, item.name, item.arguments, item.variables, item.selection_set),
                        child,
                    )

    def _type_in(self, graph: str, type_name: str, field_name: str) -> str:
        field_def = self.types[type_name].fields[field_name]
        resolver = field_def.resolvers.get(graph)
        if resolver is not None and resolver.type_ref is not None:
            return resolver.type_ref
        return field_def.type_ref

    def _plan_interface_object(
        self, place: _Place, interface: str, selection_set: SelectionSet
    ) -> set[int]:
        """A subgraph that sees an interface as an object knows neither the implementations
        nor the real __typename: plan interface fields here, the rest where types are known."""
        own = selection_set.collect_fields(interface, self.possible)
        place.builder.field(_TYPENAME, composite=False)  # the interface's name, for shaping
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
        return deps | {child.index} | self._plan_selection(inner, interface, selection_set)

    def _plan_fields(self, place: _Place, type_name: str, fields: Mapping[str, Field]) -> set[int]:
        deps: set[int] = set()
        for item in fields.values():
            missing = self._plan_field(place, type_name, item, fields, deps)
            if missing is not None:
                field_def = self._field_def(type_name, item.name)
                deps |= self._jump(
                    place, type_name, missing, field_def, fields, frozenset({place.group.graph})
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
        if item.selection_set is not None and not item.selection_set:
            # @skip/@include left nothing under the field: the object (or its null) still
            # belongs in the response, so fetch it with just its __typename.
            item = _with_selection(item, SelectionSet((_TYPENAME,)))
        field_def = self._field_def(type_name, item.name)
        resolver = field_def.resolvers.get(place.group.graph)
        local = resolver is not None and self.reach.active(resolver) and resolver.requires is None
        provided = self.reach.provided_field(place.provided, type_name, item.name)
        if not (local or provided is not None):
            deps |= self._jump(place, type_name, item, field_def, siblings)
            return None
        if item.selection_set is None:
            place.builder.field(item, composite=False)
            return None
        if resolver is not None and local and resolver.provides is not None:
            inner_provided: SelectionSet | None = resolver.provides
        elif provided is not None and provided.selection_set is not None:
            inner_provided = provided.selection_set
        else:
            inner_provided = None
        selection: SelectionSet | None = item.selection_set
        missing: SelectionSet | None = None
        if self.reach.can_reenter(type_name, place.group.graph, place.provided):
            selection, missing = self.reach.split(
                place.group.graph, field_def.type_name, item.selection_set, inner_provided
            )
            if missing is not None and self.reach.reachable_by_reentry(
                place.group.graph, field_def.type_name, missing, inner_provided
            ):
                selection, missing = item.selection_set, None
        if selection is not None and selection.items:
            child_builder = place.builder.field(item, composite=True)
            assert child_builder is not None
            inner = _Place(
                place.group,
                child_builder,
                _child_path(place.path, item.response_key, field_def.list_depth),
                inner_provided,
            )
            inner = self._with_anchor(inner, place, type_name, item, field_def.type_name)
            own_type = resolver.type_name if resolver is not None and local else None
            if own_type is not None and self.types[field_def.type_name].is_abstract:
                # The subgraph returns one member type here: plan for it, and keep the
                # __typename the response shaping needs for the abstract type clients see.
                child_builder.field(_TYPENAME, composite=False)
            deps |= self._plan_selection(inner, own_type or field_def.type_name, selection)
        if missing is None:
            return None
        return Field(item.response_key, item.name, item.arguments, item.variables, missing)

    # -- jumping between subgraphs -----------------------------------------------------------

    def _jump(
        self,
        place: _Place,
        type_name: str,
        item: Field,
        field_def: FieldDef,
        siblings: Mapping[str, Field],
        exclude: frozenset[str] = frozenset(),
    ) -> set[int]:
        self.depth += 1
        if self.depth > MAX_JUMP_DEPTH:
            raise PlanningError(f"no way to resolve {type_name}.{item.name} without a cycle")
        hoisted = self._hoist(place, type_name, item, field_def)
        if hoisted is not None:
            self.depth -= 1
            return hoisted
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
            nested: set[int] = set()
            if item.selection_set is not None and child_builder is not None:
                provided = resolver.provides if resolver is not None else None
                selection, missing = self.reach.split(
                    target, target_field.type_name, item.selection_set, provided
                )
                if missing is not None and not self.reach.reachable_by_reentry(
                    target, target_field.type_name, missing, provided
                ):
                    # A value type split across subgraphs: what the target lacks comes
                    # through another subgraph resolving this field.
                    nested |= self._jump(
                        place,
                        type_name,
                        _with_selection(item, missing),
                        field_def,
                        siblings,
                        exclude | {target},
                    )
                    item = _with_selection(item, selection or SelectionSet((_TYPENAME,)))
                inner = _Place(
                    child,
                    child_builder,
                    _child_path(place.path, item.response_key, target_field.list_depth),
                    provided,
                )
                own_type = resolver.type_name if resolver is not None else None
                if own_type is not None and self.types[target_field.type_name].is_abstract:
                    child_builder.field(_TYPENAME, composite=False)
                assert item.selection_set is not None
                nested |= self._plan_selection(
                    inner, own_type or target_field.type_name, item.selection_set
                )
            return {child.index} | nested
        finally:
            self.depth -= 1
            self.resolving.discard((type_name, item.name))

    def _with_anchor(
        self, inner: _Place, outer: _Place, parent_type: str, item: Field, field_type: str
    ) -> _Place:
        type_def = self.types[field_type]
        if type_def.is_abstract:
            return inner
        extended = _extend(outer.anchor, (parent_type, item))
        if any(k.resolvable for keys in type_def.keys.values() for k in keys):
            return replace(inner, anchor=_Anchor(inner, field_type, (), extended))
        return replace(inner, anchor=extended)

    def _hoist(
        self, place: _Place, type_name: str, item: Field, field_def: FieldDef
    ) -> set[int] | None:
        """Ask for the field through the enclosing entity when a subgraph is already being
        asked about that entity and resolves the whole way down: one request, not two."""
        anchor = place.anchor
        while anchor is not None:
            hoisted = self._hoist_to(anchor, place, item, field_def)
            if hoisted is not None:
                return hoisted
            anchor = anchor.outer
        return None

    def _hoist_to(
        self, anchor: _Anchor, place: _Place, item: Field, field_def: FieldDef
    ) -> set[int] | None:
        if not anchor.chain:
            return None
        for graph, resolver in field_def.resolvers.items():
            already = (anchor.place.group.index, graph, anchor.place.path) in self.planned_at
            if not already or resolver.requires is not None or not self.reach.active(resolver):
                continue
            if not all(
                self.reach.resolves(graph, parent, step.name) for parent, step in anchor.chain
            ):
                continue
            found = self._choose_key(anchor.place, anchor.type_name, graph, anchor.type_name)
            if found is None or not found[1]:
                continue
            child = self._entity_group(anchor.place, anchor.type_name, graph, found[0], None, None)
            builder: SelectionBuilder | None = child.selection.fragment(anchor.type_name)
            for _, step in anchor.chain:
                assert builder is not None
                builder = builder.field(step, composite=True)
            assert builder is not None
            inner_builder = builder.field(item, composite=item.selection_set is not None)
            if item.selection_set is not None and inner_builder is not None:
                inner = _Place(
                    child,
                    inner_builder,
                    _child_path(place.path, item.response_key, field_def.list_depth),
                    resolver.provides,
                )
                return {child.index} | self._plan_selection(
                    inner, field_def.type_name, item.selection_set
                )
            return {child.index}
        return None

    def _choose_target(
        self,
        place: _Place,
        type_name: str,
        item: Field,
        field_def: FieldDef,
        siblings: Mapping[str, Field],
        exclude: frozenset[str],
    ) -> tuple[str, str | None, FieldResolver, Key]:
        """Pick the subgraph to jump to: one that accepts a key we can provide, preferring a
        request already planned at this place, a key available without another jump, then
        the subgraph resolving most sibling fields."""
        candidates: list[tuple[str, str | None, FieldResolver]] = []
        for graph, resolver in field_def.resolvers.items():
            if graph not in exclude and self.reach.active(resolver):
                candidates.append((graph, None, resolver))
        for interface in sorted(self.types[type_name].interfaces):
            own = self.types[interface].fields.get(item.name)
            if own is None:
                continue
            for graph in sorted(self.types[interface].interface_object_in):
                via_resolver = own.resolvers.get(graph)
                if (
                    via_resolver is not None
                    and graph not in exclude
                    and self.reach.active(via_resolver)
                ):
                    candidates.append((graph, interface, via_resolver))
        scored = []
        for order, (graph, via, resolver) in enumerate(candidates):
            found = self._choose_key(place, type_name, graph, via or type_name)
            if found is None:
                continue
            key, key_is_local = found
            reused = (place.group.index, graph, place.path)
            covered = sum(
                1
                for sibling in siblings.values()
                if (d := self.types[type_name].fields.get(sibling.name)) is not None
                and graph in d.resolvers
            )
            unreachable = 0
            if item.selection_set is not None:
                target_field = self._field_def(via, item.name) if via else field_def
                provided = resolver.provides
                _, missing = self.reach.split(
                    graph, target_field.type_name, item.selection_set, provided
                )
                unreachable = len(missing.items) if missing is not None else 0
            rank = (-unreachable, reused in self.planned_at, key_is_local, covered, -order)
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
            if self.reach.locally_available(
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

    def _entity_group(
        self,
        place: _Place,
        type_name: str,
        target: str,
        key: Key,
        resolver: FieldResolver | None,
        via: str | None,
    ) -> FetchGroup:
        """The `_entities` group of `target` at this place, with the representation (the
        key and any @requires fields) planned into the current group first. Fields whose
        requirements come from the same groups share one request."""
        place.builder.field(_TYPENAME, composite=False)
        deps = self._plan_selection(place, type_name, key.selection_set)
        required = None
        if resolver is not None and resolver.requires is not None:
            required = _alias_arguments(resolver.requires)
            deps |= self._plan_selection(place, type_name, required)
        deps.discard(place.group.index)
        lookup = (place.group.index, target, place.path, frozenset(deps))
        candidates = self.children.setdefault(lookup, [])
        child = next(
            (g for g in candidates if not _conflicts(g.requires.fragment(type_name), required)),
            None,
        )
        if child is None:
            # A representation carries each field once: requirements of one field with
            # different arguments (a price in USD and in EUR) need requests of their own.
            child = self._new_group(target, place.path, is_entity=True)
            candidates.append(child)
            self.planned_at.add((place.group.index, target, place.path))
        child.dependencies |= deps | {place.group.index}
        representation = child.requires.fragment(type_name)
        representation.field(_TYPENAME, composite=False)
        copy_into(representation, key.selection_set)
        if required is not None:
            copy_into(representation, self._concrete(required, type_name))
        if via is not None:
            child.typename_rewrites[type_name] = via
        return child

    # -- helpers -----------------------------------------------------------------------------

    def _concrete(self, selection_set: SelectionSet, type_name: str) -> SelectionSet:
        """The selection with fragments on abstract types spelled out per object type: the
        executor builds representations by matching `__typename` exactly."""
        items: list[Selection] = []
        for item in selection_set.items:
            if isinstance(item, Field):
                if item.selection_set is not None:
                    field_type = self._field_def(type_name, item.name).type_name
                    inner = self._concrete(item.selection_set, field_type)
                    if self.types[field_type].is_abstract:
                        inner = SelectionSet((_TYPENAME, *inner.items))
                    item = _with_selection(item, inner)
                items.append(item)
                continue
            condition = item.type_condition or type_name
            if not self.types[condition].is_abstract:
                items.append(
                    InlineFragment(condition, self._concrete(item.selection_set, condition))
                )
                continue
            for runtime in sorted(self.possible.get(condition, ())):
                items.append(InlineFragment(runtime, self._concrete(item.selection_set, runtime)))
        return SelectionSet(tuple(items))

    def _field_def(self, type_name: str, name: str) -> FieldDef:
        field_def = self.types[type_name].fields.get(name)
        if field_def is None:
            raise PlanningError(f"{type_name}.{name} is not in the supergraph")
        return field_def

    def _graph_name(self, graph: str) -> str:
        return self.supergraph.graphs[graph].name

    def _new_group(self, graph: str, path: tuple[str, ...], *, is_entity: bool) -> FetchGroup:
        group = FetchGroup(len(self.groups), graph, path, is_entity)
        self.groups.append(group)
        return group


def _child_path(path: tuple[str, ...], key: str, list_depth: int) -> tuple[str, ...]:
    return (*path, key, *("@",) * list_depth)


def _extend(anchor: _Anchor | None, step: tuple[str, Field]) -> _Anchor | None:
    if anchor is None:
        return None
    return _Anchor(
        anchor.place, anchor.type_name, (*anchor.chain, step), _extend(anchor.outer, step)
    )


def _conflicts(representation: SelectionBuilder, required: SelectionSet | None) -> bool:
    """Whether a required field is already in the representation with other arguments."""
    if required is None:
        return False
    present = {item.name: item.arguments for item, _ in representation.entries.values()}
    return any(
        isinstance(item, Field) and present.get(item.name, item.arguments) != item.arguments
        for item in required.items
    )


def _with_selection(item: Field, selection_set: SelectionSet) -> Field:
    return Field(item.response_key, item.name, item.arguments, item.variables, selection_set)


def _alias_arguments(selection_set: SelectionSet) -> SelectionSet:
    """Give required fields that take arguments a response key of their own, so they cannot
    collide with the same field the client selected with other arguments."""
    items: list[Selection] = []
    for item in selection_set.items:
        if isinstance(item, Field) and item.arguments:
            alias = f"_required_{item.name}_{zlib.crc32(item.arguments.encode()):08x}"
            item = Field(alias, item.name, item.arguments, item.variables, item.selection_set)
        items.append(item)
    return SelectionSet(tuple(items))


def _has_type_specific(selection_set: SelectionSet, interface: str) -> bool:
    return any(
        isinstance(item, InlineFragment)
        and (
            item.type_condition not in (None, interface)
            or _has_type_specific(item.selection_set, interface)
        )
        for item in selection_set.items
    )
