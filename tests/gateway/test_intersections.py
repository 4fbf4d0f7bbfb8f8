"""Enum and input intersections: an output enum has every subgraph's values, an input enum
and an input object only the common ones (fixtures/intersections)."""

import pytest

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "intersections"
# Off by default in production; one test reads the enums through introspection.
GATEWAY_SETTINGS = {"introspection": True}


async def test_output_enum_union_of_values(gw: GatewayClient) -> None:
    status, body = await gw.query("{ itemsA { name size } itemsB { name size } }")
    assert status == 200
    assert_data(
        body,
        {
            "itemsA": [{"name": "a-S", "size": "S"}, {"name": "a-M", "size": "M"}],
            "itemsB": [{"name": "b-L", "size": "L"}, {"name": "b-XL", "size": "XL"}],
        },
    )


async def test_common_input_values_reach_subgraph(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(
        "query ($f: Filter) {"
        " itemsA(filter: { color: GREEN }) { name } itemsB(filter: $f) { name } }",
        variables={"f": {"color": "RED", "minLength": 2}},
    )
    assert status == 200
    assert_data(
        body,
        {
            "itemsA": [{"name": "a-S-GREEN"}, {"name": "a-M-GREEN"}],
            "itemsB": [{"name": "b-XL-RED"}],
        },
    )


async def test_enum_value_in_subgraph_output_and_introspection(gw: GatewayClient) -> None:
    status, body = await gw.query(
        '{ size: __type(name: "Size") { enumValues { name } }'
        ' color: __type(name: "Color") { enumValues { name } }'
        ' filter: __type(name: "Filter") { inputFields { name } } }'
    )
    assert status == 200
    assert_data(
        body,
        {
            "size": {"enumValues": [{"name": "S"}, {"name": "M"}, {"name": "L"}, {"name": "XL"}]},
            "color": {"enumValues": [{"name": "RED"}, {"name": "GREEN"}]},
            "filter": {"inputFields": [{"name": "color"}, {"name": "minLength"}]},
        },
    )


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ itemsA(filter: { color: BLUE }) { name } }", None),
        ("{ itemsA(filter: { onlyInA: true }) { name } }", None),
        ("query ($f: Filter) { itemsA(filter: $f) { name } }", {"f": {"color": "BLUE"}}),
        ("query ($f: Filter) { itemsB(filter: $f) { name } }", {"f": {"onlyInA": True}}),
    ],
)
async def test_values_outside_the_intersection_are_rejected(
    gw: GatewayClient, fed: Federation, query: str, variables: dict[str, object] | None
) -> None:
    status, body = await gw.query(query, variables=variables)
    assert status == 400
    assert "data" not in body
    assert body["errors"]
    assert all(s.requests == [] for s in fed.subgraphs.values())
