"""Satisfiability: every query a client can write against the supergraph API can be planned.

The check walks the supergraph API the way a client writes queries — from each root, every
field of an object type, every type condition of an interface or union — and, alongside,
every place in the subgraphs' query graph (`_query_graph`) a plan could be at for that query
so far. A client step is satisfied when at least one of those places can take it: directly
(collect the field, @requires met; downcast), or after @key jumps to other subgraphs whose key
fields can be collected where the jump starts. Otherwise the step is a SATISFIABILITY_ERROR,
shown as the smallest query that reaches it with, per subgraph, why it cannot go on.

    supergraph API step ──▶ for each subgraph place: direct move │ key/root jumps, then move
                                   │ none works                  │ some work
                                   ▼                             ▼
                         SATISFIABILITY_ERROR           next state (type, places)

States are (supergraph type, set of subgraph places, progressive-override labels chosen); a
state is skipped when one with the same type, a subset of its places and the same labels was
already explored, since whatever that one could answer this one can too. Conditions (@key
fields, @requires) are resolved from the place the move starts, each selected field on its
own, excluding the subgraph being jumped to and conditions already being resolved.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from graphql import (
    FieldNode,
    InlineFragmentNode,
    ListTypeNode,
    NonNullTypeNode,
    SelectionNode,
    SelectionSetNode,
    TypeNode,
)

from schema._fieldset import parse_field_set
from schema._model import BUILTIN_SCALARS, SubgraphModel, named_type
from schema._query_graph import LEAF_KINDS, QueryGraph, Vertex
from schema._supergraph import Supergraph, SuperType
from schema.errors import CompositionError

_TYPENAME = parse_field_set("__typename")
_OPERATIONS = {"query": "", "mutation": "mutation ", "subscription": "subscription "}


@dataclass(frozen=True, order=True)
class _Path:
    """Where a plan stands in the query graph, and how it got there."""

    vertex: Vertex
    # "start" (a condition's own start), "key" (just jumped in through a @key) or "other":
    # after "other", a @requires needs a local key to come back to the entity.
    entered: str = "other"
    top_level: bool = False  # on a root type entered from the supergraph root: no jumps yet
    via: frozenset[str] = frozenset()  # top-level fields of the @key just jumped through


@dataclass(frozen=True, order=True)
class _Reason:
    source: str
    destination: str
    details: str


@dataclass(frozen=True)
class _Step:
    """A client step: a field of `parent`, or a type condition `... on target`."""

    parent: str
    target: str  # the field's named type, or the type condition
    field: str | None = None
    override: tuple[str, bool] | None = None


@dataclass
class _Advance:
    paths: list[_Path]
    reasons: list[_Reason]
    trivial: bool = False  # a type condition that can never match here: nothing to plan


@dataclass(frozen=True)
class _State:
    type: str
    paths: frozenset[_Path]
    overrides: frozenset[tuple[str, bool]]
    steps: tuple[_Step, ...]
    operation: str


def check_satisfiability(
    supergraph: Supergraph, models: Sequence[SubgraphModel]
) -> list[CompositionError]:
    return _Checker(supergraph, models).run()


class _Checker:
    def __init__(self, supergraph: Supergraph, models: Sequence[SubgraphModel]) -> None:
        self.supergraph = supergraph
        self.models = models
        self.graph = QueryGraph(supergraph, models)
        self.api = _Api(supergraph)
        self._visits: dict[str, list[tuple[frozenset[_Path], frozenset[tuple[str, bool]]]]] = {}
        self._indirect_cache: dict[tuple[object, ...], tuple[list[_Path], list[_Reason]]] = {}
        self._conditions_cache: dict[tuple[object, ...], bool] = {}
        self._resolving: set[tuple[object, ...]] = set()

    def run(self) -> list[CompositionError]:
        stack: list[_State] = []
        for operation, root in self.supergraph.roots.items():
            if root not in self.supergraph.types:
                continue
            places = frozenset(
                _Path(Vertex(m.name, m.roots[operation]), top_level=True)
                for m in self.models
                if operation in m.roots
            )
            stack.append(_State(root, places, frozenset(), (), operation))
        errors: list[CompositionError] = []
        while stack:
            state = stack.pop()
            if self._explored(state):
                continue
            for step in reversed(self.api.steps(state.type)):
                chosen = dict(state.overrides)
                if (
                    step.override is not None
                    and chosen.get(step.override[0], step.override[1]) != (step.override[1])
                ):
                    continue
                overrides = state.overrides | ({step.override} if step.override else set())
                advanced = self._advance_all(state.paths, step, dict(overrides))
                if advanced.trivial:
                    continue
                steps = (*state.steps, step)
                if not advanced.paths:
                    errors.append(self._error(state.operation, steps, advanced.reasons))
                    continue
                if not self.api.is_leaf(step.target):
                    stack.append(
                        _State(
                            step.target,
                            frozenset(advanced.paths),
                            frozenset(overrides),
                            steps,
                            state.operation,
                        )
                    )
        return errors

    def _explored(self, state: _State) -> bool:
        visits = self._visits.setdefault(state.type, [])
        if any(
            paths <= state.paths and overrides <= state.overrides for paths, overrides in visits
        ):
            return True
        visits.append((state.paths, state.overrides))
        return False

    def _advance_all(
        self, paths: Iterable[_Path], step: _Step, overrides: dict[str, bool]
    ) -> _Advance:
        result = _Advance([], [])
        for path in sorted(paths):
            advanced = self._advance(path, step, overrides)
            if advanced.trivial:
                return advanced
            result.paths += advanced.paths
            result.reasons += advanced.reasons
        return result

    # -- one client step from one place ----------------------------------------------------

    def _advance(self, path: _Path, step: _Step, overrides: dict[str, bool]) -> _Advance:
        if step.field is None:
            v = path.vertex
            source_kind = self.supergraph.types[step.parent].kind
            # An @interfaceObject stands for every implementation, so no condition is impossible.
            absorbs = source_kind == "INTERFACE" and self.graph.is_interface_object(v)
            if not absorbs and step.target not in self.graph.runtime_types(v):
                return _Advance([], [], trivial=True)
        direct = self._direct(path, step, overrides)
        if direct.paths and self.api.is_leaf(step.target):
            return direct
        indirect, reasons = self._indirect(path, frozenset(), frozenset())
        result = _Advance(list(direct.paths), direct.reasons + reasons)
        for jumped in indirect:
            advanced = self._direct(jumped, step, overrides)
            result.paths += advanced.paths
            result.reasons += advanced.reasons
        if not result.paths and step.field is not None:
            result.reasons += self._unreachable(path, step, result.reasons)
        return result

    def _direct(self, path: _Path, step: _Step, overrides: dict[str, bool]) -> _Advance:
        graph = self.graph
        v = path.vertex
        entered = path.entered
        if step.field is None:
            if v.type == step.target:
                return _Advance([path], [])
            if graph.is_interface_object(v):
                if self._conditions(v, _TYPENAME, frozenset(), frozenset()):
                    return _Advance([_Path(v)], [])
                details = (
                    f'@interfaceObject "{v.type}" cannot tell "{step.target}" apart: no subgraph'
                    f' knowing the implementations of "{v.type}" is reachable for __typename'
                )
                return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
            target = graph.downcast(v, step.target)
            if target is None:
                details = f'cannot find type "{step.target}"'
                return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
            return _Advance([_Path(target)], [])
        coordinate = f"{step.parent}.{step.field}"
        if v.type != step.parent and not graph.is_interface_object(v):
            # Jumped through an interface's @key after an @interfaceObject: the type
            # condition the @interfaceObject absorbed applies again here.
            target = graph.downcast(v, step.parent)
            if target is None:
                details = f'cannot find type "{step.parent}"'
                return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
            v, entered = target, "other"
        edge = graph.field_edge(v, step.field)
        if edge is None:
            details = self._missing_field(v, step, coordinate)
            return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
        if edge.override is not None and overrides.get(edge.override[0]) != edge.override[1]:
            label, on = edge.override
            details = (
                f'cannot collect field "{coordinate}" when progressive override "{label}" is'
                f" {'off' if on else 'on'}"
            )
            return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
        if edge.requires is not None:
            if not self._conditions(v, edge.requires, frozenset(), frozenset()):
                details = f'cannot satisfy @requires conditions on field "{coordinate}"'
                return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
            if entered == "other" and not graph.has_usable_local_key(v):
                details = (
                    f'@requires condition on field "{coordinate}" can be satisfied but'
                    f' "{v.type}" has no usable @key in subgraph "{v.subgraph}" to resume'
                    " the query"
                )
                return _Advance([], [_Reason(v.subgraph, v.subgraph, details)])
        return _Advance([_Path(edge.tail)], [])

    def _missing_field(self, v: Vertex, step: _Step, coordinate: str) -> str:
        model = self.graph.models[v.subgraph]
        if step.parent not in model.types and v.type != step.parent:
            return (
                f'type "{step.parent}" is not in this subgraph, where interface "{v.type}" is'
                " an @interfaceObject"
            )
        unresolvable = self.graph.unresolvable.get((v.subgraph, v.type, step.field or ""))
        if unresolvable is None:
            return f'cannot find field "{coordinate}"'
        if unresolvable.external:
            return f'field "{coordinate}" is @external here: declared, not resolved'
        by = ", ".join(f'"{s}"' for s in unresolvable.by)
        return f'field "{coordinate}" is overridden by subgraph {by}'

    def _unreachable(self, path: _Path, step: _Step, reasons: list[_Reason]) -> Iterator[_Reason]:
        """Subgraphs that have the field but that no @key lets a plan jump to."""
        tried = {r.destination for r in reasons} | {path.vertex.subgraph}
        type_name = path.vertex.type
        for model in self.models:
            target = model.types.get(step.parent)
            if model.name in tried or target is None or (step.field or "") not in target.fields:
                continue
            here = model.types.get(type_name)
            coordinate = f"{step.parent}.{step.field}"
            if here is None:
                why = f'it has no interface "{type_name}" with a @key to jump through'
            elif any(key.resolvable for key in here.keys):
                continue
            else:
                kind = "type" if type_name == step.parent else "interface"
                why = (
                    f'{kind} "{type_name}" has no @key in subgraph "{model.name}"'
                    if not here.keys
                    else f'every @key of {kind} "{type_name}" in subgraph "{model.name}" is'
                    " resolvable: false"
                )
            yield _Reason(
                path.vertex.subgraph,
                model.name,
                f'cannot move to subgraph "{model.name}", which has field "{coordinate}",'
                f" because {why}",
            )

    # -- jumps between subgraphs -----------------------------------------------------------

    def _indirect(
        self, path: _Path, excluded: frozenset[str], conditions: frozenset[int]
    ) -> tuple[list[_Path], list[_Reason]]:
        """The places reachable from `path` by @key (chained) or root-type jumps: at most one
        per other subgraph, by the fewest jumps, the way a plan would take them."""
        if path.top_level:
            return [], []
        cache_key = (path.vertex, excluded, conditions)
        cached = self._indirect_cache.get(cache_key)
        if cached is not None:
            return cached
        origin = path.vertex.subgraph
        best: dict[str, _Path] = {}
        depth: dict[str, int] = {}
        reasons: list[_Reason] = []
        queue: deque[tuple[Vertex, int]] = deque([(path.vertex, 0)])
        while queue:
            v, n = queue.popleft()
            for tail in self.graph.root_jumps(v):
                if tail.subgraph in excluded or tail.subgraph in depth or tail.subgraph == origin:
                    continue
                depth[tail.subgraph] = n + 1
                best[tail.subgraph] = _Path(tail)
            for key in self.graph.keys(v):
                destination = key.tail.subgraph
                if destination in excluded or destination == origin:
                    continue
                if depth.get(destination, n + 2) <= n + 1 or id(key.condition) in conditions:
                    continue
                if self._conditions(v, key.condition, excluded | {destination}, conditions):
                    depth[destination] = n + 1
                    best[destination] = _Path(key.tail, "key", via=_top_level_names(key.condition))
                    queue.append((key.tail, n + 1))
                else:
                    reasons.append(
                        _Reason(
                            v.subgraph,
                            destination,
                            f'cannot move to subgraph "{destination}" using @key(fields:'
                            f' "{key.fields}") of "{v.type}", the key field(s) cannot be'
                            f' resolved from subgraph "{v.subgraph}"',
                        )
                    )
        result = ([best[s] for s in sorted(best)], reasons)
        self._indirect_cache[cache_key] = result
        return result

    # -- conditions: @key fields, @requires, __typename --------------------------------------

    def _conditions(
        self,
        v: Vertex,
        selection: SelectionSetNode,
        excluded: frozenset[str],
        conditions: frozenset[int],
    ) -> bool:
        """Whether every field `selection` selects can be collected starting at `v`."""
        key = (v, id(selection), excluded, conditions)
        cached = self._conditions_cache.get(key)
        if cached is not None:
            return cached
        if key in self._resolving:
            return False  # a condition that needs itself cannot be met
        self._resolving.add(key)
        inner = conditions | {id(selection)}
        start: tuple[_Path, ...] = (_Path(v, "start"),)
        stack: list[tuple[SelectionNode, list[tuple[_Path, ...]]]] = [
            (node, [start]) for node in selection.selections
        ]
        satisfied = True
        while stack and satisfied:
            node, options = stack.pop()
            advanced: list[tuple[_Path, ...]] = []
            for option in options:
                advanced += self._advance_option(option, node, excluded, inner) or []
            if not advanced:
                satisfied = False
            elif isinstance(node, FieldNode | InlineFragmentNode) and node.selection_set:
                stack += [(child, advanced) for child in node.selection_set.selections]
        self._resolving.discard(key)
        self._conditions_cache[key] = satisfied
        return satisfied

    def _advance_option(
        self,
        option: tuple[_Path, ...],
        node: SelectionNode,
        excluded: frozenset[str],
        conditions: frozenset[int],
    ) -> list[tuple[_Path, ...]] | None:
        """Advance simultaneous paths (several when an interface was type-exploded)."""
        per_path: list[list[tuple[_Path, ...]]] = []
        field = node if isinstance(node, FieldNode) else None
        leaf = field is not None and not field.selection_set
        for path in option:
            direct, exploded = self._operation(path, node, excluded, conditions)
            # A fragment found here, or a leaf found without type explosion, is as good as
            # anything a jump could give; a composite field may still need a jump later.
            if direct is not None and (not direct or (leaf and not exploded) or field is None):
                if direct:
                    per_path.append(direct)
                continue
            options = list(direct or [])
            if field is not None:
                jumped, _ = self._indirect(path, excluded, conditions)
                name = field.name.value
                for other in jumped:
                    if leaf and other.entered == "key" and name in other.via:
                        continue  # the key needs the very field it would be used to fetch
                    found, _ = self._operation(other, node, excluded, conditions)
                    options += found or []
            if not options:
                return None
            per_path.append(options)
        return [
            tuple(itertools.chain.from_iterable(combination))
            for combination in itertools.product(*per_path)
        ]

    def _operation(
        self,
        path: _Path,
        node: SelectionNode,
        excluded: frozenset[str],
        conditions: frozenset[int],
    ) -> tuple[list[tuple[_Path, ...]] | None, bool]:
        """One field or type condition of a condition from one place, without jumping
        first; the flag says the result type-exploded an interface."""
        graph = self.graph
        v = path.vertex
        kind = graph.kind(v)
        if isinstance(node, FieldNode):
            name = node.name.value
            if name == "__typename":
                return (None if graph.is_interface_object(v) else [(_Path(v),)]), False
            edge = graph.field_edge(v, name)
            if edge is not None and edge.override is None:
                if edge.requires is not None and not (
                    self._conditions(v, edge.requires, frozenset(), frozenset())
                    and (path.entered != "other" or graph.has_usable_local_key(v))
                ):
                    return None, False
                return [(_Path(edge.tail),)], False
            if kind != "INTERFACE":
                return None, False
            per_implementation: list[list[tuple[_Path, ...]]] = []
            for implementation in sorted(graph.runtime_types(v)):
                target = graph.downcast(v, implementation)
                if target is None:
                    return None, False
                found = self._advance_option((_Path(target),), node, excluded, conditions)
                if found is None:
                    return None, False
                per_implementation.append(found)
            return [
                tuple(itertools.chain.from_iterable(combination))
                for combination in itertools.product(*per_implementation)
            ], True
        assert isinstance(node, InlineFragmentNode)
        condition = node.type_condition.name.value if node.type_condition else None
        if condition is None or condition == v.type:
            return [(path,)], False
        if kind in ("INTERFACE", "UNION"):
            possible = set(self.api.possible_types(condition))
            targets = [graph.downcast(v, t) for t in sorted(graph.runtime_types(v) & possible)]
            if any(t is None for t in targets):
                return None, False
            return ([tuple(_Path(t) for t in targets if t is not None)] if targets else []), False
        if v.type in self.api.possible_types(condition):
            return [(path,)], False
        if graph.is_interface_object(v) and condition in self.api.possible_types(v.type):
            if self._conditions(v, _TYPENAME, frozenset(), frozenset()):
                return [(path,)], False
            return None, False
        return [], False

    # -- the error -------------------------------------------------------------------------

    def _error(
        self, operation: str, steps: tuple[_Step, ...], reasons: list[_Reason]
    ) -> CompositionError:
        by_subgraph: dict[str, list[str]] = {}
        for reason in reasons:
            details = by_subgraph.setdefault(reason.source, [])
            if reason.details not in details:
                details.append(reason.details)
        lines = []
        for subgraph, details in by_subgraph.items():
            if len(details) == 1:
                lines.append(f'- from subgraph "{subgraph}": {details[0]}.')
            else:
                lines.append(f'- from subgraph "{subgraph}":')
                lines += [f"  - {d}." for d in details]
        last = steps[-1]
        message = (
            "The following supergraph API query:\n"
            + self._witness(operation, steps)
            + "\ncannot be satisfied by the subgraphs because:\n"
            + "\n".join(lines)
        )
        element = f"{last.parent}.{last.field}" if last.field else last.target
        return CompositionError(
            "SATISFIABILITY_ERROR", message, next(iter(by_subgraph), None), element
        )

    def _witness(self, operation: str, steps: tuple[_Step, ...]) -> str:
        """The smallest query reaching the last step, printed as GraphQL prints it."""
        lines = [_OPERATIONS[operation] + "{"]
        for depth, step in enumerate(steps, start=1):
            indent = "  " * depth
            if step.field is None:
                opening = f"... on {step.target}"
            else:
                field = self.supergraph.types[step.parent].fields[step.field]
                args = ", ".join(f"{a.name}: {self._witness_value(a.type)}" for a in field.args)
                opening = step.field + (f"({args})" if args else "")
            if step is steps[-1] and self.api.is_leaf(step.target):
                lines.append(indent + opening)
            else:
                lines.append(indent + opening + " {")
        if not self.api.is_leaf(steps[-1].target):
            lines.append("  " * (len(steps) + 1) + "...")
        for depth in range(len(steps), 0, -1):
            if depth < len(steps) or not self.api.is_leaf(steps[-1].target):
                lines.append("  " * depth + "}")
        lines.append("}")
        return "\n".join(lines)

    def _witness_value(self, type_node: TypeNode) -> str:
        if isinstance(type_node, NonNullTypeNode):
            return self._witness_value(type_node.type)
        if isinstance(type_node, ListTypeNode):
            return "[]"
        name = named_type(type_node)
        scalars = {
            "Int": "0",
            "Float": "3.14",
            "Boolean": "true",
            "String": '"A string value"',
            "ID": '"<any id>"',
        }
        if name in BUILTIN_SCALARS:
            return scalars[name]
        t = self.supergraph.types.get(name)
        if t is not None and t.kind == "ENUM" and t.values:
            return next(iter(t.values))
        if t is not None and t.kind == "INPUT_OBJECT":
            required = [
                f"{f.name}: {self._witness_value(f.type)}"
                for f in t.fields.values()
                if isinstance(f.type, NonNullTypeNode) and f.default is None
            ]
            return "{" + ", ".join(required) + "}"
        return '"<some value>"'


class _Api:
    """The supergraph as clients see it: @inaccessible elements left out, interface fields
    asked through each implementation (a plan resolves them per runtime type)."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self._steps: dict[str, list[_Step]] = {}

    def is_leaf(self, type_name: str) -> bool:
        if type_name in BUILTIN_SCALARS:
            return True
        t = self.supergraph.types.get(type_name)
        return t is None or t.kind in LEAF_KINDS

    def possible_types(self, abstract: str) -> list[str]:
        t = self.supergraph.types.get(abstract)
        if t is None:
            return []
        if t.kind == "OBJECT":
            return [t.name]
        if t.kind == "UNION":
            return list(t.members)
        return [
            o.name
            for o in self.supergraph.types.values()
            if o.kind == "OBJECT" and abstract in o.interfaces
        ]

    def steps(self, type_name: str) -> list[_Step]:
        cached = self._steps.get(type_name)
        if cached is None:
            cached = self._steps[type_name] = list(self._compute_steps(type_name))
        return cached

    def _compute_steps(self, type_name: str) -> Iterator[_Step]:
        t = self.supergraph.types[type_name]
        if t.kind in ("INTERFACE", "UNION"):
            for implementation in self.possible_types(type_name):
                if not _hidden(self.supergraph.types[implementation]):
                    yield _Step(type_name, implementation)
            return
        for f in t.fields.values():
            if any(d.name == "inaccessible" for d in f.directives):
                continue
            target = named_type(f.type)
            label = next((j.override_label for j in f.join_fields if j.override_label), None)
            if label is None:
                yield _Step(type_name, target, f.name)
            else:
                yield _Step(type_name, target, f.name, (label, True))
                yield _Step(type_name, target, f.name, (label, False))


def _hidden(t: SuperType) -> bool:
    return any(d.name == "inaccessible" for d in t.directives)


def _top_level_names(selection: SelectionSetNode) -> frozenset[str]:
    return frozenset(s.name.value for s in selection.selections if isinstance(s, FieldNode))
