"""Type compatibility across subgraphs: which of two field types is the more general one.

An output field may be declared with a subtype in some subgraphs (`String!` where others say
`String`, `Book` where others say `Media`): the supergraph takes the most general type. Inputs go
the other way: an argument or input field takes the strictest type, so every subgraph accepts
what the supergraph lets through.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

# Supertypes of a named type: the interfaces it implements and unions it belongs to.
Supertypes = Mapping[str, Set[str]]


def same_type(a: TypeNode, b: TypeNode) -> bool:
    return print_ast(a) == print_ast(b)


def is_subtype(sub: TypeNode, sup: TypeNode, supertypes: Supertypes) -> bool:
    """True when every value of `sub` is a value of `sup` (equal types included)."""
    if isinstance(sup, NonNullTypeNode):
        return isinstance(sub, NonNullTypeNode) and is_subtype(sub.type, sup.type, supertypes)
    if isinstance(sub, NonNullTypeNode):
        return is_subtype(sub.type, sup, supertypes)
    if isinstance(sup, ListTypeNode):
        return isinstance(sub, ListTypeNode) and is_subtype(sub.type, sup.type, supertypes)
    if isinstance(sub, ListTypeNode):
        return False
    assert isinstance(sub, NamedTypeNode) and isinstance(sup, NamedTypeNode)
    return sub.name.value == sup.name.value or sup.name.value in supertypes.get(sub.name.value, ())


def most_general(types: list[TypeNode], supertypes: Supertypes) -> TypeNode | None:
    """The type all `types` are subtypes of, among them; None when two are incompatible."""
    result = types[0]
    for candidate in types[1:]:
        if is_subtype(candidate, result, supertypes):
            continue
        if is_subtype(result, candidate, supertypes):
            result = candidate
        else:
            return None
    return result


def strictest(types: list[TypeNode]) -> TypeNode | None:
    """The input type every other one accepts, among them; None when two are incompatible.

    Input types have no interfaces, so only nullability may differ.
    """
    result = types[0]
    for candidate in types[1:]:
        if is_subtype(candidate, result, {}):
            result = candidate
        elif not is_subtype(result, candidate, {}):
            return None
    return result
