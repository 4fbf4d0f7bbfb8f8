"""CSRF prevention: a POST a browser could send from another site's page without asking first
(a form's Content-Type, or none, and no preflight header) is refused with CSRF_PREVENTED
before anything runs; JSON, or a preflight header, makes a browser ask first, so such a POST
is served. GET runs queries only and needs no preflight. With no CORS origin configured (the
default), no other origin passes a preflight (fixtures/operations)."""

import json
from collections.abc import Iterator

import httpx
import pytest

from gateway.cross_origin import preflighted
from tests.gateway.fixtures.operations import data
from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient

TOPIC = "operations"

if REFERENCE:  # CSRF prevention as this gateway does it
    pytest.skip("the rules asserted are this gateway's", allow_module_level=True)

MUTATION = json.dumps({"query": 'mutation { addItem(name: "forged") { id } }'})
FOREIGN = "https://attacker.example"
# What a page on another origin can POST with no preflight: a form's encodings, text/plain
# (a form or fetch with a string body), and a fetch with a body but no Content-Type.
SIMPLE_CONTENT_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "TEXT/PLAIN",
    None,
]


@pytest.fixture(autouse=True)
def _fresh_store() -> Iterator[None]:
    data.reset()
    yield
    data.reset()


async def _post(gw: GatewayClient, content_type: str | None, **headers: str) -> httpx.Response:
    sent = {"origin": FOREIGN, **headers}
    if content_type is not None:
        sent["content-type"] = content_type
    return await gw.request("POST", content=MUTATION, headers=sent)


def _assert_not_run(fed: Federation) -> None:
    assert fed.subgraphs["store"].requests == []
    assert data.LOG == []


@pytest.mark.parametrize("content_type", SIMPLE_CONTENT_TYPES)
async def test_a_post_a_browser_sends_cross_site_unasked_is_refused_and_runs_nothing(
    gw: GatewayClient, fed: Federation, content_type: str | None
) -> None:
    response = await _post(gw, content_type)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "CSRF_PREVENTED"}
    assert "application/json" in error["message"] and "graphql-preflight" in error["message"]
    assert "access-control-allow-origin" not in response.headers
    _assert_not_run(fed)


@pytest.mark.parametrize(
    "header", ["graphql-preflight", "apollo-require-preflight", "x-apollo-operation-name"]
)
async def test_a_preflight_header_passes_the_csrf_check_but_the_body_must_still_be_json(
    gw: GatewayClient, fed: Federation, header: str
) -> None:
    response = await _post(gw, "text/plain", **{header: "1"})
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    _assert_not_run(fed)


async def test_a_post_without_a_content_type_is_refused_even_with_a_preflight_header(
    gw: GatewayClient, fed: Federation
) -> None:
    response = await _post(gw, None, **{"graphql-preflight": "1"})
    assert response.status_code == 415
    _assert_not_run(fed)


async def test_an_empty_preflight_header_does_not_count(gw: GatewayClient, fed: Federation) -> None:
    response = await _post(gw, "text/plain", **{"graphql-preflight": ""})
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"
    _assert_not_run(fed)


@pytest.mark.parametrize("content_type", ["application/json", "application/graphql+json"])
async def test_a_json_post_runs_the_mutation(
    gw: GatewayClient, fed: Federation, content_type: str
) -> None:
    response = await _post(gw, content_type)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"addItem": {"id": "4"}}}
    assert data.LOG == ["addItem(forged)"]


async def test_a_json_post_with_a_preflight_header_runs_too(gw: GatewayClient) -> None:
    response = await _post(gw, "application/json", **{"x-apollo-operation-name": "Add"})
    assert response.status_code == 200
    assert data.LOG == ["addItem(forged)"]


async def test_a_get_query_needs_no_preflight_but_a_get_mutation_is_refused(
    gw: GatewayClient, fed: Federation
) -> None:
    query = await gw.request(
        "GET", params={"query": '{ item(id: "1") { name } }'}, headers={"origin": FOREIGN}
    )
    assert query.status_code == 200
    assert query.json() == {"data": {"item": {"name": "apple"}}}
    assert "access-control-allow-origin" not in query.headers
    mutation = await gw.request(
        "GET", params={"query": json.loads(MUTATION)["query"]}, headers={"origin": FOREIGN}
    )
    assert mutation.status_code == 405
    assert data.LOG == []


async def test_with_no_origin_configured_no_preflight_passes(gw: GatewayClient) -> None:
    response = await gw.request(
        "OPTIONS",
        headers={
            "origin": FOREIGN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 405
    assert not any(name.startswith("access-control-") for name in response.headers)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"content-type": "application/json"}, True),
        ({"content-type": "application/json; charset=utf-8"}, True),
        ({"content-type": "application/xml"}, True),
        ({"content-type": " Text/Plain ; charset=utf-8"}, False),
        ({"content-type": ""}, False),
        ({}, False),
        ({"apollo-require-preflight": "true"}, True),
        ({"content-type": "text/plain", "x-apollo-operation-name": ""}, False),
    ],
)
def test_preflighted_follows_the_fetch_standards_safelist(
    headers: dict[str, str], expected: bool
) -> None:
    assert preflighted(headers) is expected
