"""Parse a subgraph's SDL into the subgraph model: resolve its federation @link, check it is
valid GraphQL once the federation definitions are added, and decode the directives.

    SDL ─ parse ─▶ document ─ find @link ─▶ local directive names
                      │                                   │
                      ├─ drop federation plumbing (_Any, _entities, …)
                      ├─ rename root types to Query / Mutation / Subscription
                      ├─ graphql-core SDL validation with the federation prelude added
                      └─ decode types, fields, @key/@requires/… ─▶ SubgraphModel
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from typing import Any

from graphql import (
    BooleanValueNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLError,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    Visitor,
    build_ast_schema,
    parse,
    print_ast,
    validate_schema,
    visit,
)
from graphql.validation.validate import validate_sdl

from schema._fieldset import select
from schema._model import (
    ROOT_DEFAULT_NAMES,
    Applied,
    Argument,
    EnumValue,
    Field,
    Key,
    SubgraphModel,
    TypeDef,
    TypeKind,
)
from schema._specs import (
    FEDERATION_1_DIRECTIVES,
    FEDERATION_DIRECTIVE_SINCE,
    FEDERATION_DIRECTIVES,
    FEDERATION_SCALARS,
    FEDERATION_URL_PREFIX,
    KEPT_DIRECTIVE_SPEC,
    SUBGRAPH_INTERNAL_QUERY_FIELDS,
    SUBGRAPH_INTERNAL_TYPES,
)
from schema.errors import CompositionError

# Standard directives copied to the supergraph as they are.
_STANDARD_KEPT = frozenset({"deprecated", "specifiedBy"})
_EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
_KINDS: dict[type[Any], TypeKind] = {
    ObjectTypeDefinitionNode: "OBJECT",
    ObjectTypeExtensionNode: "OBJECT",
    InterfaceTypeDefinitionNode: "INTERFACE",
    InterfaceTypeExtensionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    UnionTypeExtensionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    EnumTypeExtensionNode: "ENUM",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    InputObjectTypeExtensionNode: "INPUT_OBJECT",
    ScalarTypeDefinitionNode: "SCALAR",
    ScalarTypeExtensionNode: "SCALAR",
}
_DEFINITION_OF_EXTENSION: dict[type[Any], type[Any]] = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
    UnionTypeExtensionNode: UnionTypeDefinitionNode,
    EnumTypeExtensionNode: EnumTypeDefinitionNode,
    InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
    ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
}
_VERSION = re.compile(r"^(\d+)\.(\d+)$")


class _Failed(Exception):
    def __init__(self, errors: list[CompositionError]) -> None:
        super().__init__(errors)
        self.errors = errors


class _Links:
    """How this subgraph spells the federation directives: local name -> canonical name."""

    def __init__(self, version: tuple[int, int], prefix: str) -> None:
        self.version = version
        self.prefix = prefix
        self.fed1 = False
        self.directives: dict[str, str] = {}
        self.imported_scalars: dict[str, str] = {}
        for name in FEDERATION_DIRECTIVES:
            if self.available(name):
                self.directives[f"{prefix}__{name}"] = name

    @classmethod
    def federation_1(cls) -> _Links:
        """No federation @link: Federation 1, whose few directives go by their bare names."""
        links = cls((2, 0), "federation")
        links.fed1 = True
        links.directives = {name: name for name in FEDERATION_1_DIRECTIVES}
        return links

    def available(self, name: str) -> bool:
        return self.version >= FEDERATION_DIRECTIVE_SINCE.get(name, (2, 0))

    def canonical(self, directive: DirectiveNode) -> str | None:
        name = directive.name.value
        if name in self.directives:
            return self.directives[name]
        if name in _STANDARD_KEPT:
            return name
        return None

    def local_scalar_names(self) -> set[str]:
        names = {f"{self.prefix}__{scalar}" for scalar in FEDERATION_SCALARS}
        return names | set(self.imported_scalars)


def parse_subgraph(name: str, url: str, sdl: str) -> SubgraphModel | list[CompositionError]:
    """The subgraph model of `sdl`, or the errors that make it unusable."""
    try:
        document = parse(sdl, no_location=False)
    except GraphQLSyntaxError as error:
        return [CompositionError("INVALID_GRAPHQL", error.message, name)]
    try:
        links = _read_links(name, document)
        document = _strip_federation_plumbing(document, links)
        document = _rename_roots(name, document)
        _validate_graphql(name, document, links)
        return _build_model(name, url, document, links)
    except _Failed as failed:
        return failed.errors


def _schema_nodes(document: DocumentNode) -> list[SchemaDefinitionNode | SchemaExtensionNode]:
    return [
        d for d in document.definitions if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
    ]


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _args(directive: DirectiveNode) -> dict[str, ValueNode]:
    return {arg.name.value: arg.value for arg in directive.arguments or ()}


def _read_links(subgraph: str, document: DocumentNode) -> _Links:
    federation_links = [
        directive
        for node in _schema_nodes(document)
        for directive in node.directives or ()
        if directive.name.value == "link"
        and (_string(_args(directive).get("url")) or "").startswith(FEDERATION_URL_PREFIX)
    ]
    if not federation_links:
        return _Links.federation_1()
    if len(federation_links) > 1:
        raise _Failed(
            [
                CompositionError(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    "the federation spec is linked more than once",
                    subgraph,
                )
            ]
        )
    args = _args(federation_links[0])
    url = _string(args.get("url")) or ""
    match = _VERSION.match(url.removeprefix(FEDERATION_URL_PREFIX))
    if not match or match.group(1) != "2":
        raise _Failed(
            [
                CompositionError(
                    "UNKNOWN_FEDERATION_LINK_VERSION",
                    f'invalid federation version in "{url}"',
                    subgraph,
                )
            ]
        )
    links = _Links((2, int(match.group(2))), _string(args.get("as")) or "federation")
    errors: list[CompositionError] = []
    imports = args.get("import")
    for item in imports.values if isinstance(imports, ListValueNode) else ():
        if isinstance(item, StringValueNode):
            imported, alias = item.value, item.value
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: _string(f.value) for f in item.fields}
            imported = fields.get("name") or ""
            alias = fields.get("as") or imported
        else:
            continue
        if imported.startswith("@"):
            canonical = imported[1:]
            if canonical not in FEDERATION_DIRECTIVES or not links.available(canonical):
                errors.append(
                    CompositionError(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Cannot import unknown element "{imported}".',
                        subgraph,
                    )
                )
                continue
            links.directives[alias.removeprefix("@")] = canonical
        elif imported in FEDERATION_SCALARS:
            links.imported_scalars[alias] = imported
        else:
            errors.append(
                CompositionError(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    f'Cannot import unknown element "{imported}".',
                    subgraph,
                )
            )
    if errors:
        raise _Failed(errors)
    return links


def _with(node: Any, **changes: Any) -> Any:
    """A copy of an AST node with some attributes replaced."""
    new = copy.copy(node)
    for key, value in changes.items():
        setattr(new, key, value)
    return new


def _strip_federation_plumbing(document: DocumentNode, links: _Links) -> DocumentNode:
    """Drop what subgraph servers print for federation itself, keep the graph's own SDL."""
    internal_types = SUBGRAPH_INTERNAL_TYPES | links.local_scalar_names()
    federation_directives = set(links.directives) | {"link"}
    kept: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            if definition.name.value in federation_directives:
                continue
        elif isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            if definition.name.value in internal_types:
                continue
            if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
                fields = [
                    f
                    for f in definition.fields or ()
                    if f.name.value not in SUBGRAPH_INTERNAL_QUERY_FIELDS
                ]
                if len(fields) != len(definition.fields or ()):
                    if not fields and not definition.directives:
                        continue
                    definition = _with(definition, fields=tuple(fields))
        kept.append(definition)
    return DocumentNode(definitions=tuple(_drop_dangling_roots(kept)))


def _drop_dangling_roots(definitions: list[DefinitionNode]) -> list[DefinitionNode]:
    """A root type that held only `_entities`/`_service` is gone; so is its schema entry."""
    defined = {d.name.value for d in definitions if isinstance(d, TypeDefinitionNode)}
    result: list[DefinitionNode] = []
    for definition in definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            operations = tuple(
                o for o in definition.operation_types or () if o.type.name.value in defined
            )
            definition = _with(definition, operation_types=operations)
        result.append(definition)
    return result


class _RenameTypes(Visitor):
    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def enter_named_type(self, node: NamedTypeNode, *_args: Any) -> NamedTypeNode | None:
        new_name = self.renames.get(node.name.value)
        return NamedTypeNode(name=NameNode(value=new_name)) if new_name else None

    def _rename_definition(self, node: Any, *_args: Any) -> Any:
        new_name = self.renames.get(node.name.value)
        return _with(node, name=NameNode(value=new_name)) if new_name else None

    enter_object_type_definition = _rename_definition
    enter_object_type_extension = _rename_definition


def _rename_roots(subgraph: str, document: DocumentNode) -> DocumentNode:
    """Name root types Query, Mutation and Subscription, as the supergraph does."""
    renames: dict[str, str] = {}
    for node in _schema_nodes(document):
        for operation_type in node.operation_types or ():
            operation = operation_type.operation.value
            current = operation_type.type.name.value
            if current != ROOT_DEFAULT_NAMES[operation]:
                renames[current] = ROOT_DEFAULT_NAMES[operation]
    if not renames:
        return document
    defined = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
    errors = [
        CompositionError(
            f"ROOT_{default.upper()}_USED",
            f'the schema has a type named "{default}" but it is not the {default.lower()} root'
            f' type ("{current}" is)',
            subgraph,
            default,
        )
        for current, default in renames.items()
        if default in defined
    ]
    if errors:
        raise _Failed(errors)
    definitions = [d for d in document.definitions if not isinstance(d, SchemaDefinitionNode)]
    renamed: DocumentNode = visit(
        DocumentNode(definitions=tuple(definitions)), _RenameTypes(renames)
    )
    return renamed


def _prelude(links: _Links) -> str:
    lines = [
        "directive @link(url: String, as: String, for: String, import: [link__Import])"
        " repeatable on SCHEMA",
        "scalar link__Import",
    ]
    for local, canonical in links.directives.items():
        lines.append(
            FEDERATION_DIRECTIVES[canonical]
            .replace("@NAME", f"@{local}")
            .replace("PREFIX__", f"{links.prefix}__")
        )
    lines.extend(f"scalar {links.prefix}__{scalar}" for scalar in FEDERATION_SCALARS)
    return "\n".join(lines)


def _complete_extensions(definitions: Sequence[DefinitionNode]) -> list[DefinitionNode]:
    """A subgraph may extend a type it never defines; make the first extension a definition."""
    defined = {d.name.value for d in definitions if isinstance(d, TypeDefinitionNode)}
    completed: list[DefinitionNode] = []
    for definition in definitions:
        if isinstance(definition, TypeExtensionNode) and definition.name.value not in defined:
            defined.add(definition.name.value)
            new_class = _DEFINITION_OF_EXTENSION[type(definition)]
            attributes = {key: getattr(definition, key) for key in definition.keys}
            attributes.pop("loc", None)
            definition = new_class(**attributes, description=None)
        completed.append(definition)
    return completed


def _validate_graphql(subgraph: str, document: DocumentNode, links: _Links) -> None:
    prelude = parse(_prelude(links)).definitions
    full = DocumentNode(definitions=(*prelude, *_complete_extensions(document.definitions)))
    sdl_errors = validate_sdl(full)
    if sdl_errors:
        raise _Failed([_graphql_error(subgraph, error) for error in sdl_errors])
    try:
        built = build_ast_schema(full, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as error:
        raise _Failed([CompositionError("INVALID_GRAPHQL", str(error), subgraph)]) from None
    schema_errors = [
        e for e in validate_schema(built) if "Query root type must be provided" not in e.message
    ]
    if schema_errors:
        raise _Failed([_graphql_error(subgraph, error) for error in schema_errors])


def _graphql_error(subgraph: str, error: GraphQLError) -> CompositionError:
    return CompositionError("INVALID_GRAPHQL", error.message, subgraph)


def _description(node: Any) -> str | None:
    description = getattr(node, "description", None)
    return description.value if description is not None else None


class _Builder:
    def __init__(self, subgraph: str, links: _Links) -> None:
        self.subgraph = subgraph
        self.links = links

    def kept(self, directives: Iterable[DirectiveNode]) -> list[Applied]:
        applied = []
        for directive in directives:
            canonical = self.links.canonical(directive)
            if canonical in KEPT_DIRECTIVE_SPEC or canonical in _STANDARD_KEPT:
                args = tuple((a.name.value, a.value) for a in directive.arguments or ())
                applied.append(Applied(canonical, args))
        return applied

    def federation(self, directives: Iterable[DirectiveNode]) -> list[tuple[str, DirectiveNode]]:
        found = []
        for directive in directives:
            canonical = self.links.canonical(directive)
            if canonical is not None:
                found.append((canonical, directive))
        return found

    def type_def(self, types: dict[str, TypeDef], node: Any) -> None:
        name = node.name.value
        kind = _KINDS[type(node)]
        is_extension = isinstance(node, TypeExtensionNode)
        type_def = types.get(name)
        if type_def is None:
            type_def = types[name] = TypeDef(name, kind)
        if not is_extension:
            type_def.defined = True
        if type_def.description is None:
            type_def.description = _description(node)
        block_shareable = block_external = False
        for canonical, directive in self.federation(node.directives or ()):
            args = _args(directive)
            if canonical == "key":
                resolvable = args.get("resolvable")
                type_def.keys.append(
                    Key(
                        _string(args.get("fields")) or "",
                        resolvable.value if isinstance(resolvable, BooleanValueNode) else None,
                        is_extension,
                    )
                )
            elif canonical == "shareable":
                block_shareable = type_def.shareable = True
            elif canonical == "external":
                # Federation 1 ignored @external on a type (Apollo's upgrade drops it).
                block_external = type_def.external = not self.links.fed1
            elif canonical == "extends":
                type_def.extends = True
            elif canonical == "interfaceObject":
                type_def.interface_object = True
        type_def.kept.extend(self.kept(node.directives or ()))
        type_def.interfaces.extend(i.name.value for i in getattr(node, "interfaces", None) or ())
        type_def.members.extend(m.name.value for m in getattr(node, "types", None) or ())
        for value in getattr(node, "values", None) or ():
            type_def.values[value.name.value] = EnumValue(
                value.name.value, _description(value), self.kept(value.directives or ())
            )
        for field_node in getattr(node, "fields", None) or ():
            field = self.field(field_node)
            field.shareable = field.shareable or block_shareable
            field.external = field.external or block_external
            type_def.fields[field.name] = field

    def field(self, node: Any) -> Field:
        field = Field(
            node.name.value,
            node.type,
            description=_description(node),
            default=getattr(node, "default_value", None),
            kept=self.kept(node.directives or ()),
        )
        for arg in getattr(node, "arguments", None) or ():
            field.args[arg.name.value] = Argument(
                arg.name.value,
                arg.type,
                arg.default_value,
                _description(arg),
                self.kept(arg.directives or ()),
            )
        for canonical, directive in self.federation(node.directives or ()):
            args = _args(directive)
            if canonical == "external":
                field.external = True
            elif canonical == "shareable":
                field.shareable = True
            elif canonical == "requires":
                field.requires = _string(args.get("fields")) or ""
            elif canonical == "provides":
                field.provides = _string(args.get("fields")) or ""
            elif canonical == "override":
                field.override_from = _string(args.get("from")) or ""
                field.override_label = _string(args.get("label"))
        return field


def _build_model(subgraph: str, url: str, document: DocumentNode, links: _Links) -> SubgraphModel:
    builder = _Builder(subgraph, links)
    types: dict[str, TypeDef] = {}
    executable: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            builder.type_def(types, definition)
        elif isinstance(definition, DirectiveDefinitionNode):
            locations = {location.value for location in definition.locations}
            if locations <= _EXECUTABLE_LOCATIONS:
                executable[definition.name.value] = print_ast(definition)
    # Every subgraph answers `_service` and `_entities`, so every one has a query root.
    types.setdefault("Query", TypeDef("Query", "OBJECT", defined=True))
    roots = {op: name for op, name in ROOT_DEFAULT_NAMES.items() if name in types}
    model = SubgraphModel(subgraph, url, links.version, types, roots, executable, links.fed1)
    _unmark_extension_key_externals(model)
    return model


def _unmark_extension_key_externals(model: SubgraphModel) -> None:
    """Key fields marked @external on an `extend type` or an @extends type are not external:
    federation 1 wrote them so, and Apollo's composition still reads them so in federation 2."""
    for type_def in model.types.values():
        for key in type_def.keys:
            if key.of_extension or type_def.extends:
                for selected in select(model, type_def.name, key.fields).fields:
                    selected.field.external = False
