"""How kept directives applied to one element in several subgraphs merge into one.

@inaccessible, @authenticated   present in any subgraph -> present
@tag                            union of the names
@requiresScopes, @policy        AND of the subgraphs' requirements, kept as OR-of-ANDs
@cost                           highest weight
@deprecated, @specifiedBy, @listSize   the first subgraph's
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from graphql import IntValueNode, ListValueNode, StringValueNode, ValueNode, print_ast

from schema._model import Applied

_ORDER = (
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
    "deprecated",
    "specifiedBy",
)


def merge_applied(per_subgraph: Sequence[Sequence[Applied]]) -> list[Applied]:
    by_name: dict[str, list[Applied]] = {}
    for applied_list in per_subgraph:
        for applied in applied_list:
            by_name.setdefault(applied.name, []).append(applied)
    merged: list[Applied] = []
    for name in sorted(by_name, key=_ORDER.index):
        instances = by_name[name]
        if name == "tag":
            merged.extend(_unique_tags(instances))
        elif name in ("requiresScopes", "policy"):
            argument = "scopes" if name == "requiresScopes" else "policies"
            merged.append(_conjunction(name, argument, instances))
        elif name == "cost":
            weights = [_int(a.arg("weight")) for a in instances]
            merged.append(Applied("cost", (("weight", IntValueNode(value=str(max(weights)))),)))
        else:
            merged.append(instances[0])
    return merged


def _unique_tags(instances: Iterable[Applied]) -> list[Applied]:
    seen: set[str] = set()
    unique = []
    for applied in instances:
        value = applied.arg("name")
        printed = print_ast(value) if value is not None else ""
        if printed not in seen:
            seen.add(printed)
            unique.append(applied)
    return unique


def _int(value: ValueNode | None) -> int:
    return int(value.value) if isinstance(value, IntValueNode) else 0


def _clauses(value: ValueNode | None) -> list[list[str]]:
    if not isinstance(value, ListValueNode):
        return []
    return [
        [item.value for item in clause.values if isinstance(item, StringValueNode)]
        for clause in value.values
        if isinstance(clause, ListValueNode)
    ]


def _conjunction(name: str, argument: str, instances: Sequence[Applied]) -> Applied:
    """Requirements from several subgraphs all apply: multiply out their OR-of-ANDs."""
    if len(instances) == 1:
        return instances[0]
    result: list[list[str]] = []
    for combination in itertools.product(*(_clauses(a.arg(argument)) for a in instances)):
        clause: list[str] = []
        for part in combination:
            clause.extend(item for item in part if item not in clause)
        if not any(set(existing) == set(clause) for existing in result):
            result.append(clause)
    # (a) or (a and b) is just (a): drop clauses that contain another one.
    result = [c for c in result if not any(set(o) < set(c) for o in result)]
    value = ListValueNode(
        values=tuple(
            ListValueNode(values=tuple(StringValueNode(value=item) for item in clause))
            for clause in result
        )
    )
    return Applied(name, ((argument, value),))
