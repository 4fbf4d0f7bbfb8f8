"""How kept directives applied to one element in several subgraphs merge into one.

@inaccessible, @authenticated   present in any subgraph -> present
@tag                            union of the names
@requiresScopes, @policy        AND of the subgraphs' requirements, kept as OR-of-ANDs
@cost                           highest weight
@deprecated, @specifiedBy, @listSize   the first subgraph's

The access-control directives (@authenticated, @requiresScopes, @policy) of an element also
merge in those of other elements, `access_control_sources`: an interface is read through its
implementations, so it takes on what they require.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from graphql import IntValueNode, ListValueNode, StringValueNode, ValueNode, print_ast

from schema._model import Applied, SubgraphModel
from schema._specs import ACCESS_CONTROL

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
    """Requirements from several sources all apply: multiply out their OR-of-ANDs.

    As Apollo does it, so the printed value is the same: one distinct application is kept as
    written; otherwise each AND is sorted, each OR is sorted, the product is taken in that
    order and an AND containing another AND of the result is dropped (shortest first).
    """
    distinct: list[Applied] = []
    for applied in instances:
        if not any(_same_application(applied, other) for other in distinct):
            distinct.append(applied)
    if len(distinct) == 1:
        return distinct[0]
    values: list[list[list[str]]] = []
    for applied in distinct:
        # No requirement ([]) is "always true" ([[]]) for the product.
        clauses = _clauses(applied.arg(argument)) or [[]]
        requirement = sorted((sorted(clause) for clause in clauses), key=_json)
        if requirement not in values:
            values.append(requirement)
    result = values[0]
    for current in values[1:]:
        product: list[list[str]] = []
        for left in result:
            for right in current:
                clause = sorted(left + [item for item in right if item not in left])
                if clause not in product:
                    product.append(clause)
        result = _without_subsumed(product)
    printed = ListValueNode(
        values=tuple(
            ListValueNode(values=tuple(StringValueNode(value=item) for item in clause))
            for clause in result
        )
    )
    return Applied(name, ((argument, printed),))


def _json(clause: list[str]) -> str:
    """The key Apollo sorts ORs by: the clause as compact JSON."""
    return json.dumps(clause, separators=(",", ":"), ensure_ascii=False)


def _same_application(a: Applied, b: Applied) -> bool:
    return [(k, print_ast(v)) for k, v in a.args] == [(k, print_ast(v)) for k, v in b.args]


def _without_subsumed(clauses: list[list[str]]) -> list[list[str]]:
    """(a) or (a and b) is just (a): keep, shortest first, the ANDs containing no kept one."""
    kept: list[list[str]] = []
    for clause in sorted(clauses, key=len):
        if not any(set(other) <= set(clause) for other in kept):
            kept.append(clause)
    return kept


def access_control_sources(models: Sequence[SubgraphModel]) -> dict[str, list[list[Applied]]]:
    """Extra sources of access-control directives, by coordinate (`Type` or `Type.field`).

    Apollo copies requirements so that a client cannot read through an interface what its
    implementations refuse:
    - up from an object type to every interface it implements (the types, not their fields);
    - up from an object field, unless @external, to the same field of those interfaces;
    - down from an @interfaceObject field to that field of every implementation, and up
      from there to the other interfaces those implementations implement.
    Implementations are those of the supergraph: declared in any subgraph. An element's own
    requirements and these merge as requirements from several subgraphs do (`merge_applied`).
    """
    interfaces_of: dict[str, list[str]] = {}
    implementations: dict[str, list[str]] = {}
    for model in models:
        for type_def in model.types.values():
            if type_def.kind != "OBJECT" or type_def.interface_object:
                continue
            for interface in type_def.interfaces:
                if interface not in interfaces_of.setdefault(type_def.name, []):
                    interfaces_of[type_def.name].append(interface)
                    implementations.setdefault(interface, []).append(type_def.name)
    sources: dict[str, list[list[Applied]]] = {}

    def record(coordinates: Iterable[str], kept: list[Applied]) -> None:
        for coordinate in coordinates:
            sources.setdefault(coordinate, []).append(kept)

    for model in models:
        for type_def in model.types.values():
            if type_def.kind != "OBJECT":
                continue
            kept = _access_control(type_def.kept)
            if kept and not type_def.interface_object:
                record(interfaces_of.get(type_def.name, ()), kept)
            for field in type_def.fields.values():
                kept = _access_control(field.kept)
                if not kept or field.external:
                    continue
                if not type_def.interface_object:
                    interfaces = interfaces_of.get(type_def.name, ())
                    record((f"{i}.{field.name}" for i in interfaces), kept)
                    continue
                others: list[str] = []
                for implementation in implementations.get(type_def.name, ()):
                    record((f"{implementation}.{field.name}",), kept)
                    others.extend(
                        i
                        for i in interfaces_of[implementation]
                        if i != type_def.name and i not in others
                    )
                record((f"{i}.{field.name}" for i in others), kept)
    return sources


def _access_control(kept: list[Applied]) -> list[Applied]:
    return [applied for applied in kept if applied.name in ACCESS_CONTROL]
