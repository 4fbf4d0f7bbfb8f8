"""The benchmark graph as one plain GraphQL schema: what a correct gateway must answer.

Every gateway's response to a benchmark operation is compared with this schema's, after JSON
normalisation, before its timings count.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from graphql import GraphQLSchema, build_schema, graphql_sync

from bench import data

_SDL = """
type Query {
  me: User
  user(id: ID!): User
  users: [User]
  topProducts(first: Int = 5): [Product]
}
type User { id: ID! name: String username: String birthday: Int reviews: [Review] }
type Review { id: ID! body: String author: User product: Product }
type Product {
  upc: String! name: String price: Int weight: Int
  inStock: Boolean shippingEstimate: Int reviews: [Review]
}
"""


@cache
def _schema() -> GraphQLSchema:
    users = {user["id"]: dict(user, reviews=[]) for user in data.USERS}
    products = {
        product["upc"]: dict(
            product,
            reviews=[],
            inStock=data.IN_STOCK[product["upc"]],
            shippingEstimate=data.shipping_estimate(product["price"], product["weight"]),
        )
        for product in data.PRODUCTS
    }
    for review in data.REVIEWS:
        node = {
            "id": review["id"],
            "body": review["body"],
            "author": users[review["author_id"]],
            "product": products[review["product_upc"]],
        }
        users[review["author_id"]]["reviews"].append(node)
        products[review["product_upc"]]["reviews"].append(node)
    schema = build_schema(_SDL)
    query = schema.query_type
    assert query is not None
    query.fields["me"].resolve = lambda _root, _info: users["1"]
    query.fields["user"].resolve = lambda _root, _info, id: users.get(id)
    query.fields["users"].resolve = lambda _root, _info: list(users.values())
    query.fields["topProducts"].resolve = lambda _root, _info, first=5: list(products.values())[
        :first
    ]
    return schema


def expected(body: bytes) -> Any:
    """The normalised response a correct gateway gives to this request body."""
    request = orjson.loads(body)
    result = graphql_sync(
        _schema(),
        request["query"],
        variable_values=request.get("variables"),
        operation_name=request.get("operationName"),
    )
    return normalise(orjson.dumps(result.formatted))


def normalise(response: bytes) -> Any:
    """Parsed JSON without `extensions`: key order and whitespace no longer matter."""
    value = orjson.loads(response)
    if isinstance(value, dict):
        value.pop("extensions", None)
    return value
