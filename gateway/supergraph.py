"""Stage 1: read a supergraph SDL once into an immutable model of who resolves what.

The model answers the planner's questions without walking the SDL again: for every type, the
subgraphs that define it, their `@key`s, whether a subgraph sees an interface as an
`@interfaceObject`, which implementations and union members each subgraph knows; for every
field, the subgraphs that resolve it and under which `@requires`/`@provides`/`@override`.
Types and fields also carry their `@authenticated`/`@requiresScopes`/`@policy` requirements,
which gateway/authorization.py enforces. Both Federation 2 (`@link`, join v0.2-v0.5) and
Federation 1 (`@core`, join v0.1 with `@join__owner`) supergraphs are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    parse,
    parse_type,
    print_ast,
    value_from_ast_untyped,
)

from gateway.errors import SupergraphError
from gateway.selection import SelectionSet, parse_field_set

_SUPPORTED_FEATURES = {
    "link",
    "core",
    "join",
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
}
# The versions of the security features whose meaning this gateway enforces. A supergraph
# linking another version stops the start: serving it would leave its fields unprotected.
_SECURITY_VERSIONS = {
    "authenticated": ("v0.1",),
    "requiresScopes": ("v0.1",),
    "policy": ("v0.1",),
}


@dataclass(frozen=True, slots=True)
class Graph:
    enum_value: str  # the join__Graph value, how the supergraph refers to the subgraph
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Key:
    selection_set: SelectionSet
    fields: str
    resolvable: bool


@dataclass(frozen=True, slots=True)
class Requirement:
    """One application of `@authenticated`, `@requiresScopes` or `@policy`.

    `@requiresScopes` and `@policy` are met when the caller holds every scope (is granted
    every policy) of at least one group; no group at all is never met.
    """

    directive: str  # "authenticated" | "requiresScopes" | "policy"
    groups: tuple[frozenset[str], ...] = ()


AUTHENTICATED = Requirement("authenticated")


@dataclass(frozen=True, slots=True)
class FieldResolver:
    """How one subgraph resolves one field."""

    graph: str
    requires: SelectionSet | None = None
    provides: SelectionSet | None = None
    # Where the subgraph's type differs from the supergraph's: the named type (a member of a
    # union, an implementation of an interface) and the full type (nullability may differ).
    type_name: str | None = None
    type_ref: str | None = None
    # Progressive @override: resolvable here only when the label is (or is not) enabled.
    enabled_by_label: str | None = None
    disabled_by_label: str | None = None


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type_name: str  # the named type, wrappers removed
    list_depth: int
    non_null: bool
    type_ref: str  # the full type, as printed: "[Product!]!"
    resolvers: Mapping[str, FieldResolver]
    external_in: frozenset[str]  # graphs that declare it @external (usable when provided)
    requirements: tuple[Requirement, ...] = ()  # all must be met (the type's come on top)


@dataclass(frozen=True, slots=True)
class TypeDef:
    name: str
    kind: str  # OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
    graphs: frozenset[str]
    keys: Mapping[str, tuple[Key, ...]]
    interface_object_in: frozenset[str]
    fields: Mapping[str, FieldDef]
    interfaces: frozenset[str]  # interfaces implemented anywhere
    implements_in: Mapping[str, frozenset[str]]  # graph -> interfaces it says this type implements
    members_in: Mapping[str, frozenset[str]]  # unions: graph -> members it knows
    # Met by whoever reads a field returning this type or selected on it; all must be met.
    requirements: tuple[Requirement, ...] = ()

    @property
    def is_abstract(self) -> bool:
        return self.kind in ("INTERFACE", "UNION")


@dataclass(frozen=True)
class Supergraph:
    graphs: Mapping[str, Graph]
    types: Mapping[str, TypeDef]
    root_types: Mapping[str, str]  # "query" | "mutation" | "subscription" -> type name
    possible_types: Mapping[str, frozenset[str]]  # abstract type -> object types
    document: DocumentNode = field(repr=False)
    # How this SDL names each linked feature: the prefix of its types and directives
    # (`join__`), and its directives (its own, and others it imports), which an import may
    # rename.
    feature_names: Mapping[str, str] = field(repr=False)
    directive_names: Mapping[str, str] = field(repr=False)

    def possible_types_in(self, graph: str, abstract: str) -> frozenset[str]:
        """The object types a subgraph may return where it returns `abstract`."""
        type_def = self.types[abstract]
        if type_def.kind == "UNION":
            return type_def.members_in.get(graph, frozenset())
        return frozenset(
            name
            for name in self.possible_types.get(abstract, ())
            if abstract in self.types[name].implements_in.get(graph, ())
        )


def parse_supergraph(sdl: str) -> Supergraph:
    """Read a supergraph; raise SupergraphError naming the element at fault."""
    try:
        document = parse(sdl, no_location=True)
    except GraphQLError as error:
        raise SupergraphError(f"supergraph SDL does not parse: {error.message}") from None
    return _Reader(document).read()


def with_subgraph_urls(supergraph: Supergraph, urls: Mapping[str, str]) -> Supergraph:
    """A copy whose subgraphs, named as in `@join__graph(name:)`, are at `urls` instead; raise
    SupergraphError naming any subgraph the supergraph does not have."""
    names = {graph.name for graph in supergraph.graphs.values()}
    unknown = sorted(set(urls) - names)
    if unknown:
        raise SupergraphError(
            f"no subgraph named {', '.join(map(repr, unknown))} to give a url to "
            f"(the supergraph has {', '.join(sorted(names))})"
        )
    graphs = {
        key: replace(graph, url=urls.get(graph.name, graph.url))
        for key, graph in supergraph.graphs.items()
    }
    return replace(supergraph, graphs=MappingProxyType(graphs))


def _directive_args(directive: ConstDirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments}


def _unwrap(type_node: TypeNode) -> tuple[str, int, bool]:
    non_null = isinstance(type_node, NonNullTypeNode)
    depth = 0
    node = type_node
    while not isinstance(node, NamedTypeNode):
        if isinstance(node, ListTypeNode):
            depth += 1
        node = node.type  # type: ignore[attr-defined]
    return node.name.value, depth, non_null


class _Reader:
    """One pass over the SDL; kept as a class only to share the directive names it resolved."""

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.definitions: dict[str, list[TypeDefinitionNode]] = {}
        self.schema_nodes: list[SchemaDefinitionNode | SchemaExtensionNode] = []
        for definition in document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                self.schema_nodes.append(definition)
            elif isinstance(definition, TypeDefinitionNode) or hasattr(definition, "name"):
                name = definition.name.value
                self.definitions.setdefault(name, []).append(definition)  # type: ignore[arg-type]
        # feature -> its own directive's name; imported directive -> the name it is used by
        self.directive_names: dict[str, str] = {}
        self.features = self._read_features()  # feature -> (namespace, version)
        join = self.features.get("join")
        if join is None:
            raise SupergraphError(
                "not a supergraph: no @link (or @core) to https://specs.apollo.dev/join"
            )
        self.join_version = join[1]
        self.join = join[0] + "__"
        # The subgraphs in the supergraph's order, which plans follow so they never depend on
        # hashing; a missing enum is reported by _read_graphs.
        self._graph_order = [
            value.name.value
            for node in self.definitions.get(self.join + "Graph", ())
            for value in getattr(node, "values", None) or ()
        ]
        self._graph_names = frozenset(self._graph_order)

    def _read_features(self) -> dict[str, tuple[str, str]]:
        features: dict[str, tuple[str, str]] = {}
        for node in self.schema_nodes:
            for directive in node.directives:
                if directive.name.value not in ("link", "core"):
                    continue
                args = _directive_args(directive)
                url = args.get("url") or args.get("feature")
                if not isinstance(url, str):
                    raise SupergraphError(f"@{directive.name.value} without a url")
                parts = url.rstrip("/").split("/")
                if len(parts) < 2 or not parts[-1].startswith("v"):
                    raise SupergraphError(f"@{directive.name.value}(url: {url!r}) has no version")
                feature, version = parts[-2], parts[-1]
                supported = _SECURITY_VERSIONS.get(feature)
                if supported is not None and version not in supported:
                    raise SupergraphError(
                        f"unsupported version {url}: this gateway enforces {feature} "
                        f"{', '.join(supported)} only, and would leave the fields it protects "
                        "unprotected"
                    )
                purpose = args.get("for")
                if feature not in _SUPPORTED_FEATURES and purpose in ("SECURITY", "EXECUTION"):
                    raise SupergraphError(
                        f"unsupported feature {url} required for {purpose}: this gateway cannot "
                        "serve the supergraph correctly without it"
                    )
                namespace = str(args.get("as") or feature)
                features[feature] = (namespace, version)
                # The feature's own directive (@inaccessible, @requiresScopes, ...) is named
                # like the namespace, unless imported: then by its name, or as renamed.
                self.directive_names[feature] = namespace
                for imported in args.get("import") or ():
                    entry = imported if isinstance(imported, dict) else {"name": imported}
                    name = str(entry.get("name", ""))
                    if name.lstrip("@") == feature:
                        alias = entry.get("as") or entry["name"]
                        self.directive_names[feature] = str(alias).lstrip("@")
                    elif name.startswith("@"):
                        # A feature's other directives (@listSize of cost), by their imported
                        # name; not imported, they are `namespace__name`.
                        alias = entry.get("as") or name
                        self.directive_names[name[1:]] = str(alias).lstrip("@")
        return features

    def _dir(self, nodes: list[Any], name: str) -> list[dict[str, Any]]:
        found = []
        for node in nodes:
            for directive in getattr(node, "directives", None) or ():
                if directive.name.value == name:
                    found.append(_directive_args(directive))
        return found

    def read(self) -> Supergraph:
        graphs = self._read_graphs()
        root_types = self._read_root_types()
        all_graphs = frozenset(graphs)
        types: dict[str, TypeDef] = {}
        for name, nodes in self.definitions.items():
            if self._is_machinery(name):
                continue
            type_def = self._read_type(name, nodes, all_graphs)
            if type_def is not None:
                types[name] = type_def
        possible: dict[str, set[str]] = {}
        for type_def in types.values():
            if type_def.kind == "OBJECT":
                for interface in type_def.interfaces:
                    possible.setdefault(interface, set()).add(type_def.name)
            if type_def.kind == "UNION":
                members = (
                    set().union(*type_def.members_in.values()) if type_def.members_in else set()
                )
                possible.setdefault(type_def.name, set()).update(members)
        for name, type_def in types.items():
            if type_def.kind == "INTERFACE":
                possible.setdefault(name, set())
        for abstract, members in possible.items():
            for member in members:
                if member not in types:
                    raise SupergraphError(f"type {abstract} refers to unknown type {member}")
        for root in root_types.values():
            if root not in types:
                raise SupergraphError(f"root type {root} is not defined")
        return Supergraph(
            graphs=MappingProxyType(graphs),
            types=MappingProxyType(types),
            root_types=MappingProxyType(root_types),
            possible_types=MappingProxyType({k: frozenset(v) for k, v in possible.items()}),
            document=self.document,
            feature_names=MappingProxyType({f: n for f, (n, _) in self.features.items()}),
            directive_names=MappingProxyType(self.directive_names),
        )

    def _is_machinery(self, name: str) -> bool:
        prefix = name.split("__", 1)[0] if "__" in name else None
        return prefix is not None and prefix in {n for n, _ in self.features.values()}

    def _read_graphs(self) -> dict[str, Graph]:
        enum_nodes = self.definitions.get(self.join + "Graph")
        if not enum_nodes:
            raise SupergraphError(f"enum {self.join}Graph is missing")
        graphs: dict[str, Graph] = {}
        for node in enum_nodes:
            assert isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode)
            for value in node.values or ():
                graph_args = self._dir([value], self.join + "graph")
                if not graph_args:
                    raise SupergraphError(
                        f"{self.join}Graph.{value.name.value} has no @{self.join}graph"
                    )
                args = graph_args[0]
                url = args.get("url")
                if not isinstance(url, str) or not url:
                    raise SupergraphError(
                        f"subgraph {args.get('name')} ({self.join}Graph.{value.name.value}) "
                        "has no url"
                    )
                graphs[value.name.value] = Graph(value.name.value, str(args.get("name")), url)
        return graphs

    def _read_root_types(self) -> dict[str, str]:
        roots: dict[str, str] = {}
        for node in self.schema_nodes:
            for operation in node.operation_types or ():
                roots[operation.operation.value] = operation.type.name.value
        for kind, default in (("query", "Query"), ("mutation", "Mutation")):
            if kind not in roots and default in self.definitions:
                roots[kind] = default
        if "query" not in roots:
            raise SupergraphError("the supergraph defines no query root type")
        return roots

    def _graph_arg(self, args: dict[str, Any], where: str) -> str:
        graph = args.get("graph")
        if not isinstance(graph, str) or graph not in self._graph_names:
            raise SupergraphError(f"{where}: unknown graph {graph!r}")
        return graph

    def _read_type(
        self, name: str, nodes: list[TypeDefinitionNode], all_graphs: frozenset[str]
    ) -> TypeDef | None:
        node = nodes[0]
        kind = _KINDS.get(type(node))
        if kind is None:
            if isinstance(node, ObjectTypeExtensionNode | InterfaceTypeExtensionNode):
                raise SupergraphError(f"type {name} is only extended, never defined")
            return None
        join_types = self._dir(nodes, self.join + "type")
        graphs: set[str] = set()
        keys: dict[str, list[Key]] = {}
        interface_object_in: set[str] = set()
        for args in join_types:
            graph = self._graph_arg(args, f"@{self.join}type on {name}")
            graphs.add(graph)
            if args.get("isInterfaceObject"):
                interface_object_in.add(graph)
            key_text = args.get("key")
            if key_text:
                try:
                    selection = parse_field_set(str(key_text))
                except GraphQLError as error:
                    raise SupergraphError(
                        f"{name}: @key(fields: {key_text!r}): {error.message}"
                    ) from None
                keys.setdefault(graph, []).append(
                    Key(selection, str(key_text), args.get("resolvable", True) is not False)
                )
        owners = [
            self._graph_arg(a, f"@{self.join}owner on {name}")
            for a in self._dir(nodes, self.join + "owner")
        ]
        type_graphs = frozenset(graphs) if graphs else all_graphs
        implements_in: dict[str, set[str]] = {}
        interfaces: set[str] = set()
        for type_node in nodes:
            for interface in getattr(type_node, "interfaces", None) or ():
                interfaces.add(interface.name.value)
        join_implements = self._dir(nodes, self.join + "implements")
        if join_implements:
            for args in join_implements:
                graph = self._graph_arg(args, f"@{self.join}implements on {name}")
                implements_in.setdefault(graph, set()).add(str(args["interface"]))
        else:
            # Before join v0.2 the supergraph did not say which subgraph knows which
            # implementation; every subgraph defining the type is taken to know all of them.
            for graph in type_graphs:
                implements_in[graph] = set(interfaces)
        members_in: dict[str, set[str]] = {}
        if kind == "UNION":
            join_members = self._dir(nodes, self.join + "unionMember")
            members = [m.name.value for n in nodes for m in getattr(n, "types", None) or ()]
            if join_members:
                for args in join_members:
                    graph = self._graph_arg(args, f"@{self.join}unionMember on {name}")
                    members_in.setdefault(graph, set()).add(str(args["member"]))
            else:
                for graph in type_graphs:
                    members_in[graph] = set(members)
        fields: dict[str, FieldDef] = {}
        if kind in ("OBJECT", "INTERFACE"):
            for type_node in nodes:
                for field_node in getattr(type_node, "fields", None) or ():
                    field_def = self._read_field(
                        name, field_node, type_graphs, owners[0] if owners else None, keys
                    )
                    fields[field_def.name] = field_def
        return TypeDef(
            name=name,
            kind=kind,
            graphs=type_graphs,
            keys=MappingProxyType({g: tuple(k) for g, k in keys.items()}),
            interface_object_in=frozenset(interface_object_in),
            fields=MappingProxyType(fields),
            interfaces=frozenset(interfaces),
            implements_in=MappingProxyType({g: frozenset(i) for g, i in implements_in.items()}),
            members_in=MappingProxyType({g: frozenset(m) for g, m in members_in.items()}),
            requirements=self._requirements(nodes, name),
        )

    def _read_field(
        self,
        type_name: str,
        node: Any,
        type_graphs: frozenset[str],
        owner: str | None,
        keys: dict[str, list[Key]],
    ) -> FieldDef:
        name = node.name.value
        where = f"{type_name}.{name}"
        named, depth, non_null = _unwrap(node.type)
        join_fields = self._dir([node], self.join + "field")
        resolvers: dict[str, FieldResolver] = {}
        external_in: set[str] = set()
        if not join_fields:
            if owner is not None:
                # Federation 1: unannotated fields of an owned entity belong to the owner, and
                # every subgraph that extends it can return the fields of its own key.
                graphs = {owner} | {
                    g for g, ks in keys.items() if any(name in _top_fields(k) for k in ks)
                }
            else:
                graphs = set(type_graphs)
            # In the supergraph's order of subgraphs, so that plans do not depend on hashing.
            for graph in sorted(graphs, key=self._graph_order.index):
                resolvers[graph] = FieldResolver(graph)
        for args in join_fields:
            if "graph" not in args or args["graph"] is None:
                continue  # resolved only through an @interfaceObject of an interface
            graph = self._graph_arg(args, f"@{self.join}field on {where}")
            requires = self._field_set(args.get("requires"), where, "requires")
            provides = self._field_set(args.get("provides"), where, "provides")
            if args.get("external"):
                external_in.add(graph)
                continue
            if args.get("usedOverridden"):
                continue
            label = args.get("overrideLabel")
            enabled_by = disabled_by = None
            if label:
                if args.get("override"):
                    enabled_by = str(label)
                else:
                    disabled_by = str(label)
            own_type = None
            if args.get("type"):
                own_type = _unwrap(parse_type(str(args["type"])))[0]
                own_type = None if own_type == named else own_type
            resolvers[graph] = FieldResolver(
                graph,
                requires,
                provides,
                own_type,
                str(args["type"]) if args.get("type") else None,
                enabled_by,
                disabled_by,
            )
        if self.join_version == "v0.1" and owner is not None:
            # Federation 1 lists @external fields nowhere; extension subgraphs can still
            # return the fields of a key they declare.
            for graph, graph_keys in keys.items():
                if graph not in resolvers and any(name in _top_fields(k) for k in graph_keys):
                    resolvers[graph] = FieldResolver(graph)
        return FieldDef(
            name=name,
            type_name=named,
            type_ref=print_ast(node.type),
            list_depth=depth,
            non_null=non_null,
            resolvers=MappingProxyType(resolvers),
            external_in=frozenset(external_in),
            requirements=self._requirements([node], where),
        )

    def _requirements(self, nodes: list[Any], where: str) -> tuple[Requirement, ...]:
        """The security directives on a type (all its definitions) or a field, under the names
        this supergraph gives them (`@link(as:)`, `import: [{name:, as:}]`)."""
        found: list[Requirement] = []
        if self._dir(nodes, self.directive_names.get("authenticated", "authenticated")):
            found.append(AUTHENTICATED)
        for feature, argument in (("requiresScopes", "scopes"), ("policy", "policies")):
            name = self.directive_names.get(feature, feature)
            for args in self._dir(nodes, name):
                groups = args.get(argument)
                if not isinstance(groups, list) or not all(
                    isinstance(group, list) and all(isinstance(item, str) for item in group)
                    for group in groups
                ):
                    raise SupergraphError(
                        f"{where}: @{name}({argument}: {groups!r}) is not a list of lists of "
                        "strings"
                    )
                found.append(Requirement(feature, tuple(frozenset(g) for g in groups)))
        return tuple(dict.fromkeys(found))

    def _field_set(self, value: Any, where: str, what: str) -> SelectionSet | None:
        if not value:
            return None
        try:
            return parse_field_set(str(value))
        except GraphQLError as error:
            raise SupergraphError(
                f"{where}: @{what}({value!r}) does not parse: {error.message}"
            ) from None


def _top_fields(key: Key) -> set[str]:
    return {item.name for item in key.selection_set.items if hasattr(item, "name")}


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "OBJECT",
    InterfaceTypeDefinitionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    ScalarTypeDefinitionNode: "SCALAR",
}
