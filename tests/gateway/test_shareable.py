"""Shareable: a field several subgraphs resolve is taken from the one already being fetched,
so the plan uses the fewest fetches (fixtures/shareable)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "shareable"


def _counts(fed: Federation) -> dict[str, int]:
    return {name: len(s.requests) for name, s in fed.subgraphs.items()}


async def test_shareable_field_from_current_subgraph(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ bestseller { name stock } }")
    assert status == 200
    assert_data(body, {"bestseller": {"name": "Kettle", "stock": 7}})
    assert _counts(fed) == {"a": 0, "b": 1}


async def test_shareable_field_with_other_subgraph_field(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query("{ product { name price stock } }")
    assert status == 200
    assert_data(body, {"product": {"name": "Kettle", "price": 25, "stock": 7}})
    assert _counts(fed) == {"a": 1, "b": 1}
    assert fed.subgraphs["b"].entity_requests() == [[{"__typename": "Product", "id": "1"}]]


async def test_shareable_root_field_one_fetch(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ shop { name } }")
    assert status == 200
    assert_data(body, {"shop": {"name": "Corner"}})
    assert sum(_counts(fed).values()) == 1


async def test_shareable_root_field_split_across_subgraphs(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query("{ shop { address name phone } }")
    assert status == 200
    assert_data(body, {"shop": {"address": "Main St 1", "name": "Corner", "phone": "555"}})
    assert _counts(fed) == {"a": 1, "b": 1}


async def test_two_root_fields_same_subgraph_one_fetch(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ product { name } shop { address } }")
    assert status == 200
    assert_data(body, {"product": {"name": "Kettle"}, "shop": {"address": "Main St 1"}})
    assert _counts(fed) == {"a": 1, "b": 0}
