"""Requires: nested selections, field arguments, requires of requires (fixtures/requires)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "requires"


async def test_requires_nested_selection(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ products { name shippingCost } }")
    assert status == 200
    assert_data(
        body,
        {
            "products": [
                {"name": "Chair", "shippingCost": 24.0},
                {"name": "Desk", "shippingCost": 92.0},
            ]
        },
    )
    (reps,) = fed.subgraphs["shipping"].entity_requests()
    assert reps == [
        {
            "__typename": "Product",
            "id": "1",
            "weight": 4.0,
            "dimensions": {"length": 50, "width": 40},
        },
        {
            "__typename": "Product",
            "id": "2",
            "weight": 20.0,
            "dimensions": {"length": 120, "width": 60},
        },
    ]


async def test_requires_field_with_arguments(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "query ($zone: String!) { products { eu: shippingCost us: shippingCost(zone: $zone) } }",
        variables={"zone": "US"},
    )
    assert status == 200
    assert_data(
        body,
        {"products": [{"eu": 24.0, "us": 32.0}, {"eu": 92.0, "us": 132.0}]},
    )


async def test_requires_of_requires_with_arguments(gw: GatewayClient, fed: Federation) -> None:
    # insuredValue needs shippingCost(zone: "US") (itself @requires) and price(currency: "USD")
    status, body = await gw.query("{ products { id insuredValue } }")
    assert status == 200
    assert_data(
        body, {"products": [{"id": "1", "insuredValue": 33.5}, {"id": "2", "insuredValue": 136.5}]}
    )
    (reps,) = fed.subgraphs["insurance"].entity_requests()
    assert [(r["id"], r["shippingCost"], r["price"]) for r in reps] == [
        ("1", 32.0, 150.0),
        ("2", 132.0, 450.0),
    ]


async def test_required_argument_differs_from_client_argument(gw: GatewayClient) -> None:
    # The client asks shippingCost(zone: "EU"); insurance requires shippingCost(zone: "US").
    # The two must not be merged: insurance gets the US value (32 + 1.5). @apollo/gateway
    # 2.14 merges them and answers 25.5 / 96.5 here (see fixtures/README.md).
    status, body = await gw.query('{ products { insuredValue shippingCost(zone: "EU") } }')
    assert status == 200
    assert_data(
        body,
        {
            "products": [
                {"insuredValue": 33.5, "shippingCost": 24.0},
                {"insuredValue": 136.5, "shippingCost": 92.0},
            ]
        },
    )


async def test_requires_alongside_the_required_field(gw: GatewayClient) -> None:
    status, body = await gw.query(
        '{ products { weight dimensions { height } shippingCost price(currency: "USD") } }'
    )
    assert status == 200
    assert_data(
        body,
        {
            "products": [
                {"weight": 4.0, "dimensions": {"height": 90}, "shippingCost": 24.0, "price": 150.0},
                {
                    "weight": 20.0,
                    "dimensions": {"height": 75},
                    "shippingCost": 92.0,
                    "price": 450.0,
                },
            ]
        },
    )
