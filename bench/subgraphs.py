"""The four benchmark subgraphs: their SDL (sdl/*.graphql) made executable over data.py.

Each subgraph is a graphql-core schema whose objects are plain dicts, so the default resolvers
do nearly all the work; only root fields and `_entities` have resolvers. Speed does not matter
here: memo_server.py runs this once per distinct request body and replays the bytes after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLResolveInfo,
    GraphQLSchema,
    SchemaExtensionNode,
    build_ast_schema,
    graphql_sync,
    parse,
)

from bench import data

SDL_DIR = Path(__file__).resolve().parent / "sdl"
NAMES = ("accounts", "products", "reviews", "inventory")

# What a federation library adds to a subgraph's SDL, reduced to what graphql-core needs to
# build and execute it: directive definitions, the `_Any` scalar and the two entry fields.
_FEDERATION_PRELUDE = """
scalar _Any
scalar federation__FieldSet
scalar link__Import
directive @link(url: String!, import: [link__Import]) repeatable on SCHEMA
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true)
  repeatable on OBJECT | INTERFACE
directive @external on FIELD_DEFINITION | OBJECT
directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
type _Service { sdl: String }
"""

Respond = Callable[[bytes], bytes]
_Resolver = Callable[..., Any]


def sdl(name: str) -> str:
    return (SDL_DIR / f"{name}.graphql").read_text()


def _entity_types(document: DocumentNode) -> list[str]:
    names = []
    for definition in document.definitions:
        directives = getattr(definition, "directives", None) or ()
        if any(directive.name.value == "key" for directive in directives):
            names.append(definition.name.value)  # type: ignore[attr-defined]
    return names


def _build(name: str) -> GraphQLSchema:
    source = sdl(name)
    document = parse(source)
    entities = _entity_types(document)
    entry = ["_service: _Service!"]
    if entities:
        entry.append("_entities(representations: [_Any!]!): [_Entity]!")
    has_query = "type Query" in source
    extra = _FEDERATION_PRELUDE
    if entities:
        extra += f"union _Entity = {' | '.join(entities)}\n"
    extra += f"{'extend type' if has_query else 'type'} Query {{ {' '.join(entry)} }}\n"
    kept = tuple(d for d in document.definitions if not isinstance(d, SchemaExtensionNode))
    full = DocumentNode(definitions=kept + parse(extra).definitions)
    return build_ast_schema(full)


def _users() -> dict[str, dict[str, Any]]:
    return {user["id"]: dict(user, __typename="User") for user in data.USERS}


def _products() -> dict[str, dict[str, Any]]:
    return {product["upc"]: dict(product, __typename="Product") for product in data.PRODUCTS}


def _accounts() -> tuple[dict[str, _Resolver], dict[str, dict[str, dict[str, Any]]]]:
    users = _users()
    roots: dict[str, _Resolver] = {
        "me": lambda _root, _info: users["1"],
        "user": lambda _root, _info, id: users.get(id),
        "users": lambda _root, _info: list(users.values()),
    }
    return roots, {"User": users}


def _products_subgraph() -> tuple[dict[str, _Resolver], dict[str, dict[str, dict[str, Any]]]]:
    products = _products()
    roots: dict[str, _Resolver] = {
        "topProducts": lambda _root, _info, first=5: list(products.values())[:first],
    }
    return roots, {"Product": products}


def _reviews() -> tuple[dict[str, _Resolver], dict[str, dict[str, dict[str, Any]]]]:
    # The author of a review is this subgraph's User: its username (kept here for @provides)
    # and its reviews, so one fetch can go review → author → reviews.
    users = {
        user["id"]: {
            "__typename": "User",
            "id": user["id"],
            "username": user["username"],
            "reviews": [],
        }
        for user in data.USERS
    }
    products: dict[str, dict[str, Any]] = {
        product["upc"]: {"__typename": "Product", "upc": product["upc"], "reviews": []}
        for product in data.PRODUCTS
    }
    reviews = {}
    for review in data.REVIEWS:
        author, product = users[review["author_id"]], products[review["product_upc"]]
        node = {
            "__typename": "Review",
            "id": review["id"],
            "body": review["body"],
            "author": author,
            "product": product,
        }
        author["reviews"].append(node)
        product["reviews"].append(node)
        reviews[review["id"]] = node
    return {}, {"Review": reviews, "User": users, "Product": products}


def _inventory() -> tuple[dict[str, _Resolver], dict[str, dict[str, dict[str, Any]]]]:
    return {}, {}


def _inventory_entity(representation: dict[str, Any]) -> dict[str, Any] | None:
    upc = representation.get("upc")
    if upc not in data.IN_STOCK:
        return None
    price, weight = representation.get("price"), representation.get("weight")

    def shipping_estimate(_info: GraphQLResolveInfo) -> int:
        # Only this field @requires price and weight: a fetch of inStock alone may omit them.
        if not isinstance(price, int) or not isinstance(weight, int):
            raise ValueError("shippingEstimate needs price and weight in the representation")
        return data.shipping_estimate(price, weight)

    return {
        "__typename": "Product",
        "upc": upc,
        "inStock": data.IN_STOCK[upc],
        "shippingEstimate": shipping_estimate,
    }


_KEY_FIELDS = {"User": "id", "Product": "upc", "Review": "id"}

_SUBGRAPHS = {
    "accounts": _accounts,
    "products": _products_subgraph,
    "reviews": _reviews,
    "inventory": _inventory,
}


def build_schema(name: str) -> GraphQLSchema:
    """The subgraph `name` as an executable schema."""
    schema = _build(name)
    roots, tables = _SUBGRAPHS[name]()

    def entity(representation: dict[str, Any]) -> dict[str, Any] | None:
        if name == "inventory":
            return _inventory_entity(representation)
        typename = representation.get("__typename")
        table = tables.get(typename) if isinstance(typename, str) else None
        if table is None or typename is None:
            raise ValueError(f"{name} does not resolve entities of type {typename!r}")
        return table.get(representation.get(_KEY_FIELDS[typename]))  # type: ignore[arg-type]

    def resolve_entities(
        _root: object, _info: GraphQLResolveInfo, representations: list[dict[str, Any]]
    ) -> list[object]:
        results: list[object] = []
        for representation in representations:
            try:
                results.append(entity(representation))
            except ValueError as error:
                results.append(error)
        return results

    sdl_text = sdl(name)
    query_type = schema.query_type
    assert query_type is not None
    for field_name, resolver in roots.items():
        query_type.fields[field_name].resolve = resolver
    query_type.fields["_service"].resolve = lambda _root, _info: {"sdl": sdl_text}
    if "_entities" in query_type.fields:
        query_type.fields["_entities"].resolve = resolve_entities
    return schema


def responder(schema: GraphQLSchema) -> Respond:
    """Request body in (GraphQL over HTTP, JSON), response body out."""

    def respond(body: bytes) -> bytes:
        try:
            request = orjson.loads(body)
            query = request["query"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return orjson.dumps({"errors": [{"message": "expected a JSON body with a query"}]})
        result = graphql_sync(
            schema,
            query,
            variable_values=request.get("variables"),
            operation_name=request.get("operationName"),
        )
        return orjson.dumps(result.formatted)

    return respond
