"""GraphQL over HTTP: POST and GET, media types, request errors as 400 with a GraphQL error
body, 405 for mutations over GET, health (fixtures/operations)."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.gateway.fixtures.operations import data
from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient

TOPIC = "operations"
GATEWAY_SETTINGS = {"expose_query_plan": True}

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = '{ item(id: "1") { name stars } }'
DATA = {"item": {"name": "apple", "stars": 4}}


@pytest.fixture(autouse=True)
def _fresh_store() -> Iterator[None]:
    data.reset()
    yield
    data.reset()


def _media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def _assert_request_error(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert body["errors"] and all(isinstance(e["message"], str) for e in body["errors"])


async def test_post_json(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST", json={"query": QUERY}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert _media_type(response) == "application/json"
    assert response.json() == {"data": DATA}


async def test_post_graphql_response_json(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST",
        json={"query": QUERY},
        headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"},
    )
    assert response.status_code == 200
    assert _media_type(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": DATA}


async def test_post_without_accept(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST",
        content=json.dumps({"query": QUERY}),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
    assert _media_type(response) in ("application/json", GRAPHQL_RESPONSE)
    assert response.json() == {"data": DATA}


async def test_validation_error_with_graphql_response_json_is_400(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST", json={"query": "{ nope }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    _assert_request_error(response)
    assert _media_type(response) == GRAPHQL_RESPONSE


async def test_validation_error_with_application_json(gw: GatewayClient) -> None:
    # GraphQL over HTTP lets application/json answer request errors with 200 or 4xx
    response = await gw.request(
        "POST", json={"query": "{ nope }"}, headers={"accept": "application/json"}
    )
    assert response.status_code in (200, 400)
    assert "data" not in response.json()
    assert response.json()["errors"]


async def test_get_query(gw: GatewayClient) -> None:
    response = await gw.request("GET", params={"query": QUERY})
    assert response.status_code == 200
    assert response.json() == {"data": DATA}


async def test_get_with_variables_and_operation_name(gw: GatewayClient) -> None:
    response = await gw.request(
        "GET",
        params={
            "query": "query A { x: __typename } query B($n: Int) { items(first: $n) { name } }",
            "variables": json.dumps({"n": 1}),
            "operationName": "B",
        },
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"items": [{"name": "apple"}]}}


async def test_mutation_over_get_is_405(gw: GatewayClient, fed: Federation) -> None:
    response = await gw.request("GET", params={"query": 'mutation { addItem(name: "x") { id } }'})
    _assert_request_error(response, 405)
    assert all(s.requests == [] for s in fed.subgraphs.values())
    assert data.LOG == []


async def test_mutation_over_post(gw: GatewayClient) -> None:
    response = await gw.request("POST", json={"query": 'mutation { addItem(name: "x") { id } }'})
    assert response.status_code == 200
    assert response.json() == {"data": {"addItem": {"id": "4"}}}


@pytest.mark.parametrize(
    "content",
    [
        b'{"query": ',
        b"not json at all",
        b"[]",
        b'"{ __typename }"',
    ],
)
async def test_malformed_body_is_400(gw: GatewayClient, content: bytes) -> None:
    response = await gw.request(
        "POST", content=content, headers={"content-type": "application/json"}
    )
    _assert_request_error(response)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"variables": {}},
        {"query": 42},
        {"query": QUERY, "variables": [1, 2]},
        {"query": QUERY, "variables": "not an object"},
        {"query": QUERY, "operationName": 7},
    ],
)
async def test_bad_request_parameters_are_400(gw: GatewayClient, payload: dict[str, Any]) -> None:
    response = await gw.request("POST", json=payload)
    _assert_request_error(response)


async def test_get_without_query_is_400(gw: GatewayClient) -> None:
    response = await gw.request("GET", params={"variables": "{}"})
    _assert_request_error(response)


async def test_get_with_bad_variables_json_is_400(gw: GatewayClient) -> None:
    response = await gw.request("GET", params={"query": QUERY, "variables": "{nope"})
    _assert_request_error(response)


async def test_variable_of_wrong_type_is_400(gw: GatewayClient, fed: Federation) -> None:
    response = await gw.request(
        "POST",
        json={"query": "query ($n: Int) { items(first: $n) { name } }", "variables": {"n": "two"}},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    _assert_request_error(response)
    assert all(s.requests == [] for s in fed.subgraphs.values())


async def test_unknown_operation_name_is_400(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST",
        json={"query": "query A { __typename }", "operationName": "B"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    _assert_request_error(response)


async def test_health(gw: GatewayClient) -> None:
    if REFERENCE:  # Apollo Server's health check lives elsewhere
        return
    response = await gw.request("GET", "/health")
    assert response.status_code == 200


async def test_query_plan_only_on_request(gw: GatewayClient) -> None:
    if REFERENCE:
        return
    response = await gw.request("POST", json={"query": QUERY})
    assert "queryPlan" not in response.json().get("extensions", {})
    response = await gw.request("POST", json={"query": QUERY}, headers={"x-query-plan": "true"})
    body = response.json()
    assert body["data"] == DATA
    # the plan's JSON form (the shape other gateways print) and its text form
    plan = body["extensions"]["queryPlan"]
    assert plan["json"]["kind"] == "QueryPlan"
    fetches = json.dumps(plan["json"])
    assert '"serviceName": "store"' in fetches and '"serviceName": "ratings"' in fetches
    assert plan["text"].startswith("QueryPlan {")


async def test_trace_context_and_identity_reach_every_subgraph_other_headers_do_not(
    gw: GatewayClient, fed: Federation
) -> None:
    if REFERENCE:  # @apollo/gateway forwards no client headers unless told to in code
        return
    response = await gw.request(
        "POST",
        json={"query": QUERY},
        headers={
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "x-secret": "do not forward",
        },
    )
    assert response.json() == {"data": DATA}
    seen = [h for s in fed.subgraphs.values() for h in s.headers]
    assert len(seen) == 2
    for headers in seen:
        assert headers["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
        assert "x-secret" not in headers
        # The gateway's own identity token, not anything the client sent.
        assert headers["authorization"].startswith("Bearer ey")
