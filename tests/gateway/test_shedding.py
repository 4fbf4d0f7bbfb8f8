"""Load shedding: past `max_in_flight_requests` GraphQL requests at once, the gateway answers
503 with Retry-After and code SERVICE_OVERLOADED straight away instead of queueing; the
requests it took are served in full, and /health is never shed (fixtures/partial_failure)."""

import asyncio
import time

import httpx

from tests.gateway.kit.federation import Federation, GatewayClient
from tests.gateway.kit.subgraph import Fault

TOPIC = "partial_failure"
GATEWAY_SETTINGS = {"max_in_flight_requests": 2, "overload_retry_after": 3}
SLOW = 1.5


async def test_requests_past_the_limit_get_503_with_retry_after_at_once(
    gw: GatewayClient, fed: Federation
) -> None:
    fed.subgraphs["reviews"].fault = Fault.slow(SLOW)

    async def timed(http: httpx.AsyncClient, alias: str) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        # Aliased apart, so that the gateway does not share one subgraph request between them.
        query = f"{{ {alias}: latestReviews {{ body }} }}"
        response = await http.post(gw.url, json={"query": query})
        return response, time.monotonic() - started

    async with httpx.AsyncClient(timeout=30) as http:
        held = [asyncio.create_task(timed(http, alias)) for alias in ("a", "b")]
        for _ in range(500):  # until both reached the (slow) subgraph: the gateway is full
            if len(fed.subgraphs["reviews"].requests) == 2:
                break
            await asyncio.sleep(0.01)
        shed = await asyncio.gather(*(timed(http, f"c{n}") for n in range(6)))
        health = await http.get(f"{gw.base_url}/health")
        served = await asyncio.gather(*held)

    for response, seconds in shed:
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_OVERLOADED"
        assert seconds < SLOW / 2, "refused without waiting for a slot"
    assert health.status_code == 200
    for (response, _), alias in zip(served, ("a", "b"), strict=True):
        assert response.status_code == 200
        assert response.json() == {"data": {alias: [{"body": "great"}]}}
    assert len(fed.subgraphs["reviews"].requests) == 2


async def test_a_slot_is_free_again_once_its_request_is_answered(
    gw: GatewayClient, fed: Federation
) -> None:
    for _ in range(5):
        status, body = await gw.query("{ latestReviews { body } }")
        assert (status, body) == (200, {"data": {"latestReviews": [{"body": "great"}]}})
