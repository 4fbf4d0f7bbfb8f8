"""Stage 1, second half: the client-facing API schema derived from the supergraph.

What clients see is the supergraph without the federation machinery (`@link`/`@core`, the join
and other feature directives with their types) and without anything marked `@inaccessible`.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputValueDefinitionNode,
    NamedTypeNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    build_ast_schema,
)
from graphql.language import Node

from gateway.errors import SupergraphError
from gateway.supergraph import Supergraph

# Features whose directives are supergraph machinery, never part of the API.
_MACHINERY_FEATURES = (
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
)


def build_api_schema(supergraph: Supergraph) -> GraphQLSchema:
    prefixes, directives = supergraph.feature_names, supergraph.directive_names
    machinery_prefixes = {prefixes[f] for f in _MACHINERY_FEATURES if f in prefixes}
    machinery_directives = {directives[f] for f in _MACHINERY_FEATURES if f in directives} | {
        "link",
        "core",
    }
    inaccessible = directives.get("inaccessible", "inaccessible")

    def is_machinery_name(name: str) -> bool:
        return "__" in name and name.split("__", 1)[0] in machinery_prefixes

    def hidden(node: Node) -> bool:
        return any(d.name.value == inaccessible for d in getattr(node, "directives", None) or ())

    hidden_types = {
        definition.name.value
        for definition in supergraph.document.definitions
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode) and hidden(definition)
    }

    def keep_directive(directive: Any) -> bool:
        name = directive.name.value
        return name not in machinery_directives and not is_machinery_name(name)

    def strip(node: Any, **changes: Any) -> Any:
        directives = tuple(d for d in node.directives or () if keep_directive(d))
        return node.__class__(**{**_fields(node), "directives": directives, **changes})

    def clean_args(args: Any) -> tuple[InputValueDefinitionNode, ...]:
        return tuple(strip(a) for a in args or () if not hidden(a))

    definitions = []
    for definition in supergraph.document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            definitions.append(strip(definition))
            continue
        if isinstance(definition, DirectiveDefinitionNode):
            name = definition.name.value
            if name in machinery_directives or is_machinery_name(name):
                continue
            definitions.append(definition)
            continue
        name = definition.name.value  # type: ignore[attr-defined]
        if is_machinery_name(name) or name in hidden_types:
            continue
        changes: dict[str, Any] = {}
        fields = getattr(definition, "fields", None)
        if fields is not None:
            kept = []
            for field in fields:
                if hidden(field) or _named(field.type) in hidden_types:
                    if not hidden(field):
                        raise SupergraphError(
                            f"{name}.{field.name.value} is visible but its type "
                            f"{_named(field.type)} is @{inaccessible}"
                        )
                    continue
                if isinstance(field, FieldDefinitionNode):
                    kept.append(strip(field, arguments=clean_args(field.arguments)))
                else:
                    kept.append(strip(field))
            if not kept:
                raise SupergraphError(
                    f"type {name} has no field left once @{inaccessible} is applied"
                )
            changes["fields"] = tuple(kept)
        if getattr(definition, "interfaces", None) is not None:
            changes["interfaces"] = tuple(
                i for i in getattr(definition, "interfaces", ()) if i.name.value not in hidden_types
            )
        if getattr(definition, "types", None) is not None:
            changes["types"] = tuple(
                t for t in getattr(definition, "types", ()) if t.name.value not in hidden_types
            )
        if getattr(definition, "values", None) is not None:
            changes["values"] = tuple(
                strip(v)
                for v in definition.values  # type: ignore[attr-defined]
                if isinstance(v, EnumValueDefinitionNode) and not hidden(v)
            )
        definitions.append(strip(definition, **changes))
    try:
        return build_ast_schema(DocumentNode(definitions=tuple(definitions)), assume_valid_sdl=True)
    except (TypeError, ValueError) as error:
        raise SupergraphError(f"cannot build the API schema: {error}") from None


def _named(type_node: Any) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type
    return str(type_node.name.value)


def _fields(node: Any) -> dict[str, Any]:
    return {key: getattr(node, key) for key in node.keys if key != "loc"}
