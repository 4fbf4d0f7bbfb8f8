"""The supergraph model: merged types with their join__ metadata, ready to print.

`_merge` builds it from the subgraph models; `_print` turns it into SDL and
`_validate_supergraph` checks it. `graph` values are join__Graph enum values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import TypeNode, ValueNode

from schema._model import Applied, TypeKind


@dataclass(frozen=True)
class Graph:
    enum_value: str  # e.g. POPULATION
    name: str  # the subgraph's name, e.g. population
    url: str


@dataclass(frozen=True)
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable_arg: bool | None = None  # as the @key wrote it, None when it did not say
    is_interface_object: bool = False

    @property
    def resolvable(self) -> bool:
        return self.resolvable_arg is not False


@dataclass(frozen=True)
class JoinField:
    """`graph` None is the bare `@join__field` of a field only an @interfaceObject resolves."""

    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False


@dataclass
class SuperArgument:
    name: str
    type: TypeNode
    default: ValueNode | None = None
    description: str | None = None
    directives: list[Applied] = field(default_factory=list)


@dataclass
class SuperField:
    name: str
    type: TypeNode
    description: str | None = None
    args: list[SuperArgument] = field(default_factory=list)
    default: ValueNode | None = None
    join_fields: list[JoinField] = field(default_factory=list)
    directives: list[Applied] = field(default_factory=list)


@dataclass
class SuperEnumValue:
    name: str
    description: str | None = None
    graphs: list[str] = field(default_factory=list)
    directives: list[Applied] = field(default_factory=list)


@dataclass
class SuperType:
    name: str
    kind: TypeKind
    description: str | None = None
    join_types: list[JoinType] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)  # (graph, interface)
    fields: dict[str, SuperField] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    union_members: list[tuple[str, str]] = field(default_factory=list)  # (graph, member)
    values: dict[str, SuperEnumValue] = field(default_factory=dict)
    directives: list[Applied] = field(default_factory=list)


@dataclass
class Supergraph:
    graphs: list[Graph]
    join_version: str
    types: dict[str, SuperType]
    roots: dict[str, str]
    executable_directives: list[str] = field(default_factory=list)

    def graph_of(self, subgraph_name: str) -> str:
        return next(g.enum_value for g in self.graphs if g.name == subgraph_name)
