"""Provides: provided fields are taken from the providing subgraph and skip a fetch; fields
outside the provided selection are fetched from their owner (fixtures/provides)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "provides"


async def test_provided_field_skips_fetch(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { author { username } } }")
    assert status == 200
    assert_data(body, {"reviews": [{"author": {"username": "ada (via reviews)"}}]})
    assert len(fed.subgraphs["reviews"].requests) == 1
    assert fed.subgraphs["accounts"].requests == []


async def test_nested_provides_skip_fetches(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { product { name vendor { name } } } }")
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {
                    "product": {
                        "name": "Anvil (via reviews)",
                        "vendor": {"name": "Acme (via reviews)"},
                    }
                }
            ]
        },
    )
    assert len(fed.subgraphs["reviews"].requests) == 1
    assert fed.subgraphs["catalog"].requests == []


async def test_field_beyond_provides_is_fetched(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { author { username email } } }")
    assert status == 200
    assert_data(
        body,
        {"reviews": [{"author": {"username": "ada (via reviews)", "email": "ada@example.org"}}]},
    )
    assert fed.subgraphs["accounts"].entity_requests() == [[{"__typename": "User", "id": "u1"}]]


async def test_nested_field_beyond_provides_is_fetched(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { product { name price vendor { name country } } } }")
    assert status == 200
    assert_data(
        body,
        {
            "reviews": [
                {
                    "product": {
                        "name": "Anvil (via reviews)",
                        "price": 30,
                        "vendor": {"name": "Acme (via reviews)", "country": "FI"},
                    }
                }
            ]
        },
    )
    # one fetch from catalog: Product.vendor { country } comes with the Product entity
    assert fed.subgraphs["catalog"].entity_requests() == [[{"__typename": "Product", "upc": "p1"}]]


async def test_same_type_without_provides_goes_to_owner(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ reviews { editor { username } } }")
    assert status == 200
    assert_data(body, {"reviews": [{"editor": {"username": "bob"}}]})
    assert fed.subgraphs["accounts"].entity_requests() == [[{"__typename": "User", "id": "u2"}]]
