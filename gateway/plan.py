"""The query plan: plain immutable data, printable as JSON and as text.

    QueryPlan ─ node: PlanNode | None
    PlanNode  = Fetch | Flatten | Sequence | Parallel
    Fetch     ─ one request to one subgraph (a root operation, or `_entities` when it has
                `requires`: the selection that builds each representation)
    Flatten   ─ runs its Fetch once for every object found at its paths ("@" steps into
                lists): entities from several places of the response share one request

The executor depends on this module only, never on the planner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.selection import Field, SelectionSet


@dataclass(frozen=True, slots=True)
class Fetch:
    service_name: str
    url: str
    operation: str  # the document sent to the subgraph
    operation_kind: str
    variable_usages: tuple[str, ...]
    selection_set: SelectionSet  # for printing; the executor sends `operation`
    requires: SelectionSet | None = None
    # Representations' __typename rewritten, for subgraphs that see an @interfaceObject.
    typename_rewrites: Mapping[str, str] = field(default_factory=dict)
    # The answer holds keys `<key>__alias_<n>` to be renamed back to `<key>`.
    unalias: bool = False


@dataclass(frozen=True, slots=True)
class Flatten:
    paths: tuple[tuple[str, ...], ...]
    node: Fetch


@dataclass(frozen=True, slots=True)
class Sequence:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Parallel:
    nodes: tuple[PlanNode, ...]


PlanNode = Fetch | Flatten | Sequence | Parallel


@dataclass(frozen=True, slots=True)
class QueryPlan:
    node: PlanNode | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": "QueryPlan", "node": _node_json(self.node) if self.node else None}

    def __str__(self) -> str:
        lines = ["QueryPlan {"]
        if self.node is not None:
            _print_node(self.node, 1, lines)
        lines.append("}")
        return "\n".join(lines)

    def fetches(self) -> list[Fetch]:
        found: list[Fetch] = []
        if self.node is not None:
            _collect_fetches(self.node, found)
        return found


def _collect_fetches(node: PlanNode, found: list[Fetch]) -> None:
    if isinstance(node, Fetch):
        found.append(node)
    elif isinstance(node, Flatten):
        found.append(node.node)
    else:
        for child in node.nodes:
            _collect_fetches(child, found)


def _node_json(node: PlanNode) -> dict[str, Any]:
    if isinstance(node, Fetch):
        data: dict[str, Any] = {
            "kind": "Fetch",
            "serviceName": node.service_name,
            "variableUsages": list(node.variable_usages),
            "operation": node.operation,
            "operationKind": node.operation_kind,
        }
        if node.requires is not None:
            data["requires"] = _selection_json(node.requires)
        if node.unalias:
            data["outputRewrites"] = [{"kind": "KeyRenamer", "pattern": "<key>__alias_<n>"}]
        if node.typename_rewrites:
            data["inputRewrites"] = [
                {
                    "kind": "ValueSetter",
                    "path": [f"... on {source}", "__typename"],
                    "setValueTo": target,
                }
                for source, target in node.typename_rewrites.items()
            ]
        return data
    if isinstance(node, Flatten):
        data = {"kind": "Flatten", "path": list(node.paths[0]), "node": _node_json(node.node)}
        if len(node.paths) > 1:
            data["paths"] = [list(path) for path in node.paths]
        return data
    kind = "Sequence" if isinstance(node, Sequence) else "Parallel"
    return {"kind": kind, "nodes": [_node_json(child) for child in node.nodes]}


def _selection_json(selection_set: SelectionSet) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for item in selection_set.items:
        if isinstance(item, Field):
            entry: dict[str, Any] = {"kind": "Field", "name": item.name}
            if item.alias:
                entry["alias"] = item.alias
            if item.selection_set is not None:
                entry["selections"] = _selection_json(item.selection_set)
            items.append(entry)
        else:
            items.append(
                {
                    "kind": "InlineFragment",
                    "typeCondition": item.type_condition,
                    "selections": _selection_json(item.selection_set),
                }
            )
    return items


def _print_node(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(node, Fetch):
        lines.append(f'{pad}Fetch(service: "{node.service_name}") {{')
        if node.requires is not None:
            _print_selection(node.requires, depth + 1, lines)
            lines[-1] += " =>"
        _print_selection(node.selection_set, depth + 1, lines)
        lines.append(f"{pad}}},")
    elif isinstance(node, Flatten):
        paths = ", ".join(f'"{".".join(path)}"' for path in node.paths)
        label = f"path: {paths}" if len(node.paths) == 1 else f"paths: [{paths}]"
        lines.append(f"{pad}Flatten({label}) {{")
        _print_node(node.node, depth + 1, lines)
        lines.append(f"{pad}}},")
    else:
        lines.append(f"{pad}{'Sequence' if isinstance(node, Sequence) else 'Parallel'} {{")
        for child in node.nodes:
            _print_node(child, depth + 1, lines)
        lines.append(f"{pad}}},")


def _print_selection(selection_set: SelectionSet, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    lines.append(pad + "{")
    for item in selection_set.items:
        inner = "  " * (depth + 1)
        if isinstance(item, Field):
            head = (f"{item.alias}: " if item.alias else "") + item.name + item.arguments
            if item.selection_set is None:
                lines.append(inner + head)
            else:
                lines.append(inner + head + " {")
                _print_selection_body(item.selection_set, depth + 2, lines)
                lines.append(inner + "}")
        else:
            lines.append(inner + f"... on {item.type_condition} {{")
            _print_selection_body(item.selection_set, depth + 2, lines)
            lines.append(inner + "}")
    lines.append(pad + "}")


def _print_selection_body(selection_set: SelectionSet, depth: int, lines: list[str]) -> None:
    start = len(lines)
    _print_selection(selection_set, depth - 1, lines)
    del lines[start]  # the braces belong to the parent line
    lines.pop()
