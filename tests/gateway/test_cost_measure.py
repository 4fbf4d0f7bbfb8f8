"""Static cost in measure mode (fixtures/cost): nothing is refused, not even over the budget
or with a slicing argument missing; every response carries `extensions.cost` and the gateway
logs each estimate, so an operator can choose a budget from real traffic."""

import logging

import pytest

from tests.gateway.kit.federation import GatewayClient

TOPIC = "cost"
GATEWAY_SETTINGS = {"cost_mode": "measure", "cost_budget": 10}


async def test_over_budget_is_answered_with_its_cost(
    gw: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.cost")
    status, body = await gw.query("{ products(first: 3) { related { name } } }")
    assert status == 200
    assert body["data"]["products"][0] == {"related": []}
    assert body["extensions"] == {"cost": {"estimated": 3 * (1 + 4 * 1), "budget": 10}}
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gateway.cost"]
    assert line == "cost 15, budget 10 (over: enforce mode would refuse): query { products }"


async def test_within_budget_is_logged_too(
    gw: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.cost")
    status, body = await gw.query("{ shop { name } }")
    assert status == 200
    assert body == {
        "data": {"shop": {"name": "corner shop"}},
        "extensions": {"cost": {"estimated": 1, "budget": 10}},
    }
    assert [r.getMessage() for r in caplog.records if r.name == "gateway.cost"] == [
        "cost 1, budget 10: query { shop }"
    ]


async def test_missing_slicing_argument_is_answered_and_logged(
    gw: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.cost")
    status, body = await gw.query("{ products { name } }")
    assert status == 200
    assert len(body["data"]["products"]) == 5
    # No slicing argument and no assumedSize: the default list size, 10.
    assert body["extensions"]["cost"] == {"estimated": 10, "budget": 10}
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gateway.cost"]
    assert line.endswith(
        "query { products }; Query.products needs exactly one of its slicing arguments; 0 given"
    )
