"""CORS from the settings: a preflight from a configured origin is answered with what a page
may send (its token, JSON, the preflight headers, trace context, the propagated headers);
any other origin gets no CORS header at all, so its page cannot read an answer. A wildcard
with credentials, or an origin that is not one, stops the start (fixtures/operations)."""

import httpx
import pytest

from gateway.errors import ConfigurationError
from gateway.settings import GatewaySettings, check_settings, load_settings
from tests.gateway.kit.federation import REFERENCE, GatewayClient

TOPIC = "operations"
PORTAL = "https://portal.example"
GATEWAY_SETTINGS = {
    "cors_origins": [PORTAL, "http://localhost:5173"],
    "propagate_headers": ["x-tenant"],
}

if REFERENCE:  # CORS settings of this gateway only
    pytest.skip("gateway settings are ours", allow_module_level=True)


async def _preflight(
    gw: GatewayClient, origin: str, headers: str = "content-type"
) -> httpx.Response:
    return await gw.request(
        "OPTIONS",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": headers,
        },
    )


async def test_a_preflight_from_a_configured_origin_is_answered(gw: GatewayClient) -> None:
    response = await _preflight(
        gw, PORTAL, "content-type,authorization,dpop,graphql-preflight,traceparent,x-tenant"
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {
        "content-type",
        "authorization",
        "dpop",
        "graphql-preflight",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "traceparent",
        "x-tenant",
    } <= allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_from_another_origin_gets_no_cors_header(gw: GatewayClient) -> None:
    for origin in ("https://attacker.example", "https://portal.example.attacker.example"):
        response = await _preflight(gw, origin)
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_asking_for_a_header_not_allowed_is_refused(gw: GatewayClient) -> None:
    response = await _preflight(gw, PORTAL, "content-type,x-secret-switch")
    assert response.status_code == 400


async def test_an_answer_is_readable_by_a_configured_origin_only(gw: GatewayClient) -> None:
    query = {"query": '{ item(id: "1") { name } }'}
    mine = await gw.request("POST", json=query, headers={"origin": PORTAL})
    assert mine.status_code == 200
    assert mine.headers["access-control-allow-origin"] == PORTAL
    assert "origin" in mine.headers["vary"].lower()
    theirs = await gw.request("POST", json=query, headers={"origin": "https://attacker.example"})
    assert theirs.status_code == 200  # served (JSON forced a preflight), but not readable
    assert "access-control-allow-origin" not in theirs.headers


def test_no_origin_is_allowed_by_default() -> None:
    assert GatewaySettings().cors_origins == []


def test_a_wildcard_with_credentials_stops_the_start() -> None:
    settings = GatewaySettings(cors_origins=["*"], cors_allow_credentials=True)
    with pytest.raises(ConfigurationError, match="GATEWAY_CORS_ALLOW_CREDENTIALS"):
        check_settings(settings)
    check_settings(GatewaySettings(cors_origins=["*"]))
    check_settings(GatewaySettings(cors_origins=[PORTAL], cors_allow_credentials=True))


@pytest.mark.parametrize(
    "origin", ["https://portal.example/", "portal.example", "https://portal.example/app", ""]
)
def test_an_origin_that_is_not_one_stops_the_start(origin: str) -> None:
    with pytest.raises(SystemExit, match="GATEWAY_CORS_ORIGINS"):
        load_settings(cors_origins=[origin])
