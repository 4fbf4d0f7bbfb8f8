"""Development (GATEWAY_ENV=development) shows what production hides: introspection, the
GraphiQL page, suggestions and the subgraphs' own errors. What is never shown in any env: a
subgraph's host and port, and a caller's value echoed back at length (fixtures/intersections).
"""

from urllib.parse import urlsplit

import pytest

from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient
from tests.gateway.kit.subgraph import Fault

TOPIC = "intersections"
GATEWAY_SETTINGS = {"env": "development"}

if REFERENCE:  # settings of this gateway only
    pytest.skip("gateway settings are ours", allow_module_level=True)


async def test_introspection_is_answered(gw: GatewayClient) -> None:
    status, body = await gw.query('{ __type(name: "Filter") { inputFields { name } } }')
    assert status == 200
    fields = {f["name"] for f in body["data"]["__type"]["inputFields"]}
    assert fields == {"color", "minLength"}


async def test_a_browser_gets_the_graphiql_page(gw: GatewayClient) -> None:
    page = await gw.request("GET", headers={"accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


async def test_a_misspelt_field_gets_a_suggestion(gw: GatewayClient) -> None:
    status, body = await gw.query("{ itemsA { nam } }")
    assert status == 400
    assert (
        body["errors"][0]["message"]
        == "Cannot query field 'nam' on type 'Item'. Did you mean 'name'?"
    )


async def test_a_subgraph_error_is_shown_as_the_subgraph_wrote_it(
    gw: GatewayClient, fed: Federation
) -> None:
    fed.subgraphs["b"].fault = Fault.error_at(["itemsB"], "nothing in stock", code="EMPTY", hint=1)
    status, body = await gw.query("{ itemsB { name } }")
    assert status == 200
    (error,) = body["errors"]
    assert error["message"] == "nothing in stock"
    assert error["extensions"] == {"code": "EMPTY", "hint": 1, "serviceName": "b"}


async def test_an_unreachable_subgraph_is_named_without_its_address(
    gw: GatewayClient, fed: Federation
) -> None:
    port = urlsplit(fed.subgraphs["a"].url).port
    fed.subgraphs["a"].stop()
    response = await gw.request("POST", json={"query": "{ itemsA { name } }"})
    (error,) = response.json()["errors"]
    assert error["message"] == "Subgraph 'a' could not be reached."
    assert f":{port}" not in response.text and "127.0.0.1" not in response.text


async def test_a_900_kb_value_sent_is_not_echoed_back(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST",
        json={
            "query": "query ($f: Filter) { itemsA(filter: $f) { name } }",
            "variables": {"f": {"y" * 900_000: 1}},
        },
    )
    assert response.status_code == 400
    assert len(response.content) < 2000
