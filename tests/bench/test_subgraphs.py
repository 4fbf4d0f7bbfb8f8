"""The benchmark subgraphs, the memo in front of them and the oracle."""

from __future__ import annotations

from typing import Any

import orjson

from bench import memo_server, oracle, queries, subgraphs

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on %s { %s } } }"


def _ask(name: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    respond = subgraphs.responder(subgraphs.build_schema(name))
    return orjson.loads(respond(queries.body(query, variables)))


def test_every_subgraph_builds_and_serves_its_sdl() -> None:
    for name in subgraphs.NAMES:
        answer = _ask(name, "{ _service { sdl } }")
        assert answer["data"]["_service"]["sdl"] == subgraphs.sdl(name)


def test_reviews_resolves_users_and_products_by_key() -> None:
    answer = _ask(
        "reviews",
        ENTITIES % ("User", "id reviews { id author { username } product { upc } }"),
        {"r": [{"__typename": "User", "id": "2"}]},
    )
    (user,) = answer["data"]["_entities"]
    assert [review["id"] for review in user["reviews"]] == ["3", "4"]
    assert {review["author"]["username"] for review in user["reviews"]} == {"@user2"}


def test_inventory_shipping_estimate_requires_price_and_weight() -> None:
    fields = "upc inStock shippingEstimate"
    with_requires = {"__typename": "Product", "upc": "2", "price": 600, "weight": 100}
    answer = _ask("inventory", ENTITIES % ("Product", fields), {"r": [with_requires]})
    assert answer["data"]["_entities"] == [{"upc": "2", "inStock": True, "shippingEstimate": 50}]

    only_key = {"__typename": "Product", "upc": "2"}
    answer = _ask("inventory", ENTITIES % ("Product", "inStock"), {"r": [only_key]})
    assert answer == {"data": {"_entities": [{"inStock": True}]}}
    answer = _ask("inventory", ENTITIES % ("Product", fields), {"r": [only_key]})
    assert "price and weight" in answer["errors"][0]["message"]


def test_memo_runs_graphql_once_per_body_and_ignores_operation_names() -> None:
    calls: list[bytes] = []

    def respond(body: bytes) -> bytes:
        calls.append(body)
        return b'{"data":{}}'

    memo = memo_server.Memo(respond)
    first = memo.response(b'{"query":"query A__products__0 { topProducts { upc } }"}')
    again = memo.response(b'{"query":"query A__products__0 { topProducts { upc } }"}')
    renamed = memo.response(
        b'{"query":"query B__products__0 { topProducts { upc } }","operationName":"B__products__0"}'
    )
    assert first == again == renamed
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b'{"data":{}}')
    assert len(calls) == 1
    assert (memo.hits, memo.misses) == (1, 1)


def test_oracle_answers_the_deep_query_without_errors() -> None:
    expected = oracle.expected(queries.body(queries.DEEP))
    assert "errors" not in expected
    users = expected["data"]["users"]
    assert len(users) == 6
    product = users[0]["reviews"][0]["product"]
    assert product["shippingEstimate"] == 37 and product["inStock"] is True
    assert len(expected["data"]["topProducts"]) == 5


def test_normalise_ignores_key_order_and_extensions() -> None:
    assert oracle.normalise(b'{"data":{"a":1,"b":2},"extensions":{"x":1}}') == oracle.normalise(
        b'{"data":{"b":2,"a":1}}'
    )
