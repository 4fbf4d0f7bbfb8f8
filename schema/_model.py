"""The subgraph model: one subgraph's types with its federation directives decoded.

Parsing (`_parse`) builds it once; validation and merging only read it. Types are kept as
graphql-core `TypeNode`s and directive arguments as `ValueNode`s so printing stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, ValueNode, print_ast

TypeKind = Literal["OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT", "SCALAR"]
BUILTIN_SCALARS = frozenset({"Int", "Float", "String", "Boolean", "ID"})
ROOT_DEFAULT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


@dataclass(frozen=True)
class Applied:
    """A kept directive applied to an element: canonical name and its arguments, in order."""

    name: str
    args: tuple[tuple[str, ValueNode], ...] = ()

    def arg(self, name: str) -> ValueNode | None:
        return next((value for key, value in self.args if key == name), None)


@dataclass(frozen=True)
class Key:
    fields: str
    # `resolvable:` as written, None when absent: the supergraph repeats what was written.
    resolvable_arg: bool | None = None
    of_extension: bool = False  # applied on an `extend type`

    @property
    def resolvable(self) -> bool:
        return self.resolvable_arg is not False


@dataclass
class Argument:
    name: str
    type: TypeNode
    default: ValueNode | None = None
    description: str | None = None
    kept: list[Applied] = field(default_factory=list)


@dataclass
class Field:
    """An output field, or an input object field (then only name/type/default/kept matter)."""

    name: str
    type: TypeNode
    args: dict[str, Argument] = field(default_factory=dict)
    description: str | None = None
    default: ValueNode | None = None
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override_from: str | None = None
    override_label: str | None = None
    kept: list[Applied] = field(default_factory=list)


@dataclass
class EnumValue:
    name: str
    description: str | None = None
    kept: list[Applied] = field(default_factory=list)


@dataclass
class TypeDef:
    name: str
    kind: TypeKind
    description: str | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    shareable: bool = False
    external: bool = False
    defined: bool = False  # by a definition, not only by `extend type`
    extends: bool = False  # marked @extends
    interface_object: bool = False
    kept: list[Applied] = field(default_factory=list)

    @property
    def is_entity(self) -> bool:
        return bool(self.keys)

    @property
    def extension(self) -> bool:
        """An extension in federation's sense: only `extend type`, or @extends."""
        return self.extends or not self.defined


@dataclass
class SubgraphModel:
    name: str
    url: str
    federation_version: tuple[int, int]
    types: dict[str, TypeDef]
    roots: dict[str, str]  # operation ("query") -> type name, always the default names
    # Executable directive definitions (`directive @x on FIELD`), merged by intersection.
    executable_directives: dict[str, str] = field(default_factory=dict)
    # Federation 1 (no federation @link): `_fed1` upgrades the model the way Apollo does.
    fed1: bool = False

    def kind_of(self, type_name: str) -> TypeKind | None:
        if type_name in BUILTIN_SCALARS:
            return "SCALAR"
        type_def = self.types.get(type_name)
        return type_def.kind if type_def else None

    def implementations(self, abstract: str) -> list[str]:
        """Object types a value of interface or union `abstract` may be, in this subgraph."""
        type_def = self.types.get(abstract)
        if type_def is None:
            return []
        if type_def.kind == "UNION":
            return list(type_def.members)
        return [t.name for t in self.types.values() if abstract in t.interfaces]

    def is_root(self, type_name: str) -> bool:
        return type_name in self.roots.values()


def named_type(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        assert isinstance(type_node, ListTypeNode | NonNullTypeNode)
        type_node = type_node.type
    return type_node.name.value


def type_str(type_node: TypeNode) -> str:
    return print_ast(type_node)


def is_required(type_node: TypeNode, default: ValueNode | None) -> bool:
    return isinstance(type_node, NonNullTypeNode) and default is None
