"""Entities: single, multiple, compound and nested keys; resolvable: false; a key chosen so the
next subgraph accepts it; an entity resolved as null; null keys (fixtures/entities)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "entities"


async def test_single_key_jump(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { body author { name } } }")
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {"body": "Sturdy", "author": {"name": "Ada"}},
                {"body": "Wobbly", "author": {"name": "Bob"}},
                {"body": "Bright", "author": {"name": "Ada"}},
                {"body": "Anonymous", "author": None},
            ]
        },
    )
    assert len(fed.subgraphs["reviews"].requests) == 1
    assert len(fed.subgraphs["users"].entity_requests()) == 1
    # the review without an author sends no representation
    for rep in fed.subgraphs["users"].entity_requests()[0]:
        assert rep["__typename"] == "User"
        assert rep["id"] in ("u1", "u2")


async def test_root_entity_by_argument(gw: GatewayClient) -> None:
    status, body = await gw.query(
        'query { user(id: "u1") { id name reviews { body } } missing: user(id: "nope") { id } }'
    )
    assert status == 200
    assert_data(
        body,
        {
            "user": {
                "id": "u1",
                "name": "Ada",
                "reviews": [{"body": "Sturdy"}, {"body": "Bright"}],
            },
            "missing": None,
        },
    )


async def test_key_conversion_through_second_key(gw: GatewayClient, fed: Federation) -> None:
    # reviews knows User by id, emails only by email: users turns one key into the other
    status, body = await gw.query("{ reviews { id author { newsletter } } }")
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {"id": "r1", "author": {"newsletter": True}},
                {"id": "r2", "author": {"newsletter": None}},
                {"id": "r3", "author": {"newsletter": True}},
                {"id": "r4", "author": None},
            ]
        },
    )
    users_reps = fed.subgraphs["users"].entity_requests()
    email_reps = fed.subgraphs["emails"].entity_requests()
    assert len(users_reps) == 1
    assert len(email_reps) == 1
    assert {r["email"] for r in email_reps[0] if r.get("email")} == {"ada@example.org"}
    assert all(set(r) == {"__typename", "email"} for r in email_reps[0])


async def test_unresolvable_key_is_resolved_by_owner(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { product { upc name } } }")
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {"product": {"upc": "p1", "name": "Table"}},
                {"product": {"upc": "p2", "name": "Table (US)"}},
                {"product": {"upc": "p3", "name": "Lamp"}},
                {"product": {"upc": "p1", "name": "Table"}},
            ]
        },
    )
    # reviews declared Product resolvable: false, so it never receives Product representations
    assert fed.subgraphs["reviews"].entity_requests() == []


async def test_compound_nested_key(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ products { upc stock } }")
    assert status == 200
    assert_data(
        body,
        {
            "products": [
                {"upc": "p1", "stock": 5},
                {"upc": "p2", "stock": 0},
                {"upc": "p3", "stock": None},
            ]
        },
    )
    (reps,) = fed.subgraphs["inventory"].entity_requests()
    assert reps == [
        {"__typename": "Product", "sku": "S1", "region": {"code": "EU"}},
        {"__typename": "Product", "sku": "S1", "region": {"code": "US"}},
        {"__typename": "Product", "sku": "S3", "region": {"code": "EU"}},
    ]


async def test_entity_returned_null_keeps_siblings(gw: GatewayClient) -> None:
    # inventory answers _entities with null for p3; fields from other subgraphs stay
    status, body = await gw.query("{ products { name stock region { code } } }")
    assert status == 200
    assert_data(
        body,
        {
            "products": [
                {"name": "Table", "stock": 5, "region": {"code": "EU"}},
                {"name": "Table (US)", "stock": 0, "region": {"code": "US"}},
                {"name": "Lamp", "stock": None, "region": {"code": "EU"}},
            ]
        },
    )


async def test_three_hops_from_unresolvable_reference(gw: GatewayClient, fed: Federation) -> None:
    # reviews → products (upc → sku, region) → inventory (nested key)
    status, body = await gw.query("{ reviews { id product { stock } } }")
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {"id": "r1", "product": {"stock": 5}},
                {"id": "r2", "product": {"stock": 0}},
                {"id": "r3", "product": {"stock": None}},
                {"id": "r4", "product": {"stock": 5}},
            ]
        },
    )
    assert len(fed.subgraphs["products"].entity_requests()) == 1
    assert len(fed.subgraphs["inventory"].entity_requests()) == 1


async def test_entity_fields_from_every_subgraph(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "{ users { name newsletter reviews { body product { name stock } } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "users": [
                {
                    "name": "Ada",
                    "newsletter": True,
                    "reviews": [
                        {"body": "Sturdy", "product": {"name": "Table", "stock": 5}},
                        {"body": "Bright", "product": {"name": "Lamp", "stock": None}},
                    ],
                },
                {
                    "name": "Bob",
                    "newsletter": None,
                    "reviews": [{"body": "Wobbly", "product": {"name": "Table (US)", "stock": 0}}],
                },
                {"name": "Cyd", "newsletter": False, "reviews": []},
            ]
        },
    )


async def test_typename_on_entities(gw: GatewayClient) -> None:
    status, body = await gw.query(
        '{ __typename user(id: "u3") { __typename id reviews { __typename } } }'
    )
    assert status == 200
    assert_data(
        body,
        {"__typename": "Query", "user": {"__typename": "User", "id": "u3", "reviews": []}},
    )


async def test_back_and_forth_between_subgraphs(gw: GatewayClient, fed: Federation) -> None:
    # users → reviews → users → reviews → products: the same subgraphs visited twice
    status, body = await gw.query(
        '{ user(id: "u2") { name reviews { author { name reviews { product { name } } } } } }'
    )
    assert status == 200
    assert_data(
        body,
        {
            "user": {
                "name": "Bob",
                "reviews": [
                    {"author": {"name": "Bob", "reviews": [{"product": {"name": "Table (US)"}}]}}
                ],
            }
        },
    )


async def test_same_entity_selected_twice_is_merged(gw: GatewayClient) -> None:
    status, body = await gw.query(
        """
        {
          reviews {
            author { name }
            ... on Review { author { newsletter name } id }
            ...F
          }
        }
        fragment F on Review { author { id } }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {"author": {"name": "Ada", "newsletter": True, "id": "u1"}, "id": "r1"},
                {"author": {"name": "Bob", "newsletter": None, "id": "u2"}, "id": "r2"},
                {"author": {"name": "Ada", "newsletter": True, "id": "u1"}, "id": "r3"},
                {"author": None, "id": "r4"},
            ]
        },
    )
