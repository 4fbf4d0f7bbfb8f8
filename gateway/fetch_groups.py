"""Fetch groups: the requests the planner is building, and how they become plan nodes.

A group is one request to one subgraph at one place of the response: a root operation, or an
`_entities` request whose representations are built by `requires`. The planner fills groups
through `SelectionBuilder`s and records which groups must finish first; `emit_plan` then
reads the plan off that dependency graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.errors import PlanningError
from gateway.plan import Fetch, Flatten, Parallel, PlanNode, QueryPlan, Sequence
from gateway.selection import Field, InlineFragment, Selection, SelectionSet, print_selection_set
from gateway.supergraph import Graph


class SelectionBuilder:
    """A selection set of a subgraph request under construction."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Field, SelectionBuilder | None]] = {}
        self.fragments: dict[str, SelectionBuilder] = {}

    def field(self, item: Field, composite: bool) -> SelectionBuilder | None:
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
        child = SelectionBuilder() if composite else None
        self.entries[item.response_key] = (item, child)
        return child

    def fragment(self, type_condition: str) -> SelectionBuilder:
        child = self.fragments.get(type_condition)
        if child is None:
            child = self.fragments[type_condition] = SelectionBuilder()
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
class FetchGroup:
    index: int
    graph: str
    path: tuple[str, ...]
    is_entity: bool
    selection: SelectionBuilder = field(default_factory=SelectionBuilder)
    requires: SelectionBuilder = field(default_factory=SelectionBuilder)
    dependencies: set[int] = field(default_factory=set)
    # Response keys renamed to `<key>__alias_<n>` because fragments of one selection ask
    # for fields of different types under that key (a subgraph would refuse the request).
    aliased: bool = False
    typename_rewrites: dict[str, str] = field(default_factory=dict)


def emit_plan(
    groups: list[FetchGroup],
    roots: list[FetchGroup],
    graphs: Mapping[str, Graph],
    operation_kind: str,
    variable_definitions: Mapping[str, str],
) -> PlanNode | None:
    """The plan for these groups: mutations root by root in document order, queries as
    stages or a tree of parallel fetches."""
    return _Emitter(groups, graphs, operation_kind, variable_definitions).emit(roots)


class _Emitter:
    def __init__(
        self,
        groups: list[FetchGroup],
        graphs: Mapping[str, Graph],
        operation_kind: str,
        variable_definitions: Mapping[str, str],
    ) -> None:
        self.groups = groups
        self.graphs = graphs
        self.operation_kind = operation_kind
        self.variable_definitions = variable_definitions

    def emit(self, roots: list[FetchGroup]) -> PlanNode | None:
        live = [g for g in self.groups if g.selection]
        if not live:
            return None
        descendants = {root.index: self._descendants(root, live) for root in roots}
        if self.operation_kind == "mutation":
            nodes = [self._emit_stages([root, *descendants[root.index]]) for root in roots]
            return _sequence(nodes)
        return self._emit_stages(live)

    def _descendants(self, root: FetchGroup, live: list[FetchGroup]) -> list[FetchGroup]:
        reached = {root.index}
        found: list[FetchGroup] = []
        changed = True
        while changed:
            changed = False
            for group in live:
                if group.index not in reached and group.dependencies & reached:
                    reached.add(group.index)
                    found.append(group)
                    changed = True
        return found

    def _emit_stages(self, groups: list[FetchGroup]) -> PlanNode:
        """Turn groups into nodes: stages of parallel fetches, where fetches of one stage that
        send the same request share it; a tree instead when each group waits for one other
        and no request is shared."""
        members = {g.index for g in groups}
        parents = {g.index: g.dependencies & members for g in groups}
        staged = self._emit_staged(groups, parents)
        if all(len(p) <= 1 for p in parents.values()) and len(QueryPlan(staged).fetches()) == len(
            groups
        ):
            # Nothing to share between places: a tree lets each branch go on without
            # waiting for the slowest fetch of its stage.
            by_parent: dict[int | None, list[FetchGroup]] = {}
            for group in groups:
                parent = next(iter(parents[group.index]), None)
                by_parent.setdefault(parent, []).append(group)
            return _parallel([self._emit_tree(g, by_parent) for g in by_parent.get(None, [])])
        return staged

    def _emit_staged(self, groups: list[FetchGroup], parents: dict[int, set[int]]) -> PlanNode:
        depth: dict[int, int] = {}

        def depth_of(group: FetchGroup) -> int:
            if group.index not in depth:
                depth[group.index] = 0  # guards against cycles while recursing
                depth[group.index] = 1 + max(
                    (depth_of(self.groups[i]) for i in parents[group.index]), default=-1
                )
            return depth[group.index]

        stages: dict[int, list[PlanNode]] = {}
        for group in groups:
            stages.setdefault(depth_of(group), []).append(self._fetch_node(group))
        return _sequence([_parallel(_merge_flattens(stages[d])) for d in sorted(stages)])

    def _emit_tree(
        self, group: FetchGroup, by_parent: dict[int | None, list[FetchGroup]]
    ) -> PlanNode:
        node = self._fetch_node(group)
        children = by_parent.get(group.index, [])
        if not children:
            return node
        return _sequence([node, _parallel([self._emit_tree(c, by_parent) for c in children])])

    def _fetch_node(self, group: FetchGroup) -> PlanNode:
        graph = self.graphs[group.graph]
        selection = group.selection.freeze()
        variables = sorted(group.selection.variables())
        definitions = [self.variable_definitions[v] for v in variables]
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
            kind = self.operation_kind
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
            unalias=group.aliased,
        )
        return Flatten((group.path,), fetch) if group.is_entity else fetch


def copy_into(builder: SelectionBuilder, selection_set: SelectionSet) -> None:
    for item in selection_set.items:
        if isinstance(item, Field):
            child = builder.field(item, composite=item.selection_set is not None)
            if child is not None and item.selection_set is not None:
                copy_into(child, item.selection_set)
        elif item.type_condition is None:
            copy_into(builder, item.selection_set)
        else:
            copy_into(builder.fragment(item.type_condition), item.selection_set)


def _merge_flattens(nodes: list[PlanNode]) -> list[PlanNode]:
    """Entity fetches of one stage that send the same request to the same subgraph become
    one request carrying the representations from all their places."""
    merged: dict[tuple[object, ...], Flatten] = {}
    result: list[PlanNode] = []
    for node in nodes:
        if not isinstance(node, Flatten):
            result.append(node)
            continue
        fetch = node.node
        key = (fetch.url, fetch.operation, fetch.requires, tuple(fetch.typename_rewrites.items()))
        existing = merged.get(key)
        if existing is None:
            merged[key] = node
            result.append(node)
        else:
            combined = Flatten(existing.paths + node.paths, fetch)
            result[result.index(existing)] = combined
            merged[key] = combined
    return result


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
