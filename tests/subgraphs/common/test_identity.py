"""The gateway's identity token, checked in front of an agency's GraphQL: each refusal is a 401
naming the check that failed, with no data; a valid token reaches the resolvers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from subgraphs.common.settings import AgencySettings, ConfigurationError, GatewayTrust
from subgraphs.life_events.app import create_life_events_app
from subgraphs.population.app import create_population_app
from subgraphs.seed import AS_OF
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.gateway_tokens import Caller, TestGateway, b64url, new_key, serve_gateway
from tests.subgraphs.helpers import Client, entities

OpenApp = Callable[[AppFactory, AgencySettings], Client]

AUDIENCE = "life_events"
QUERY = '{"query": "{ lifeEventCatalogue }"}'


@pytest.fixture
def life_events(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_life_events_app, settings)


async def _post(client: Client, headers: dict[str, str], body: str = QUERY) -> Any:
    return await client.request(
        "POST", "/graphql", {"content-type": "application/json", **headers}, content=body
    )


async def _refused(client: Client, token: str) -> str:
    """The refusal's message, after checking its shape: 401, UNAUTHENTICATED, no data."""
    response = await _post(client, {"authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert set(body) == {"errors"}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    message: str = error["message"]
    return message


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    encoded = (b64url(json.dumps(part).encode()) for part in (header, claims))
    return ".".join([*encoded, b64url(signature)])


async def test_a_valid_token_is_accepted(life_events: Client, gateway: TestGateway) -> None:
    response = await _post(life_events, {"authorization": f"Bearer {life_events.token()}"})
    assert response.status_code == 200
    assert "BIRTH_OF_CHILD" in response.json()["data"]["lifeEventCatalogue"]


async def test_no_token_is_refused(life_events: Client) -> None:
    response = await _post(life_events, {})
    assert response.status_code == 401
    assert "no identity token" in response.json()["errors"][0]["message"]
    basic = await _post(life_events, {"authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


@pytest.mark.parametrize("token", ["abc", "a.b", "a.b.c.d", "!!!.e30.x", "W10.e30.x"])
async def test_a_malformed_token_is_refused(life_events: Client, token: str) -> None:
    assert "malformed token" in await _refused(life_events, token)


async def test_a_signature_by_another_key_is_refused(
    life_events: Client, gateway: TestGateway
) -> None:
    impostor = new_key()
    token = gateway.sign(
        gateway.header(), gateway.claims(AUDIENCE, Caller("19800101-0001")), impostor
    )
    assert "signature does not verify" in await _refused(life_events, token)


async def test_a_tampered_payload_is_refused(life_events: Client, gateway: TestGateway) -> None:
    header, _, signature = gateway.mint(AUDIENCE, Caller("19800101-0001")).split(".")
    claims = b64url(json.dumps(gateway.claims(AUDIENCE, Caller("19700101-0001"))).encode())
    assert "signature does not verify" in await _refused(
        life_events, f"{header}.{claims}.{signature}"
    )


async def test_alg_none_is_refused(life_events: Client, gateway: TestGateway) -> None:
    token = _unsigned(gateway.header(alg="none"), gateway.claims(AUDIENCE))
    assert "alg must be Ed25519, got 'none'" in await _refused(life_events, token)


async def test_hs256_keyed_with_the_public_key_is_refused(
    life_events: Client, gateway: TestGateway
) -> None:
    header = gateway.header(alg="HS256")
    claims = gateway.claims(AUDIENCE, Caller("19800101-0001"))
    signing_input = _unsigned(header, claims).rsplit(".", 1)[0]
    # The classic confusion: the verifier's public key, used as an HMAC secret.
    secret = json.dumps(gateway.signing_key.as_dict(private=False)).encode()
    public_x = base64.urlsafe_b64decode(gateway.signing_key.as_dict()["x"] + "==")
    for key in (secret, public_x):
        mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64url(mac)}"
        assert "alg must be Ed25519, got 'HS256'" in await _refused(life_events, token)


async def test_a_wrong_typ_is_refused(life_events: Client, gateway: TestGateway) -> None:
    token = gateway.sign(gateway.header(typ="JWT"), gateway.claims(AUDIENCE))
    assert "typ must be identity+jwt, got 'JWT'" in await _refused(life_events, token)
    untyped = gateway.header()
    del untyped["typ"]
    assert "typ must be identity+jwt" in await _refused(
        life_events, gateway.sign(untyped, gateway.claims(AUDIENCE))
    )


async def test_a_wrong_issuer_is_refused(life_events: Client, gateway: TestGateway) -> None:
    token = gateway.mint(AUDIENCE, iss="http://127.0.0.1:4001")
    message = await _refused(life_events, token)
    assert "iss must be 'urn:citizen-account:gateway', got 'http://127.0.0.1:4001'" in message


async def test_a_token_for_another_subgraph_is_refused(
    life_events: Client, gateway: TestGateway
) -> None:
    message = await _refused(life_events, gateway.mint("tax", Caller("19800101-0001")))
    assert "aud must be 'life_events', got 'tax'" in message
    listed = gateway.mint(AUDIENCE, aud=[AUDIENCE, "tax"])
    assert "aud must be 'life_events'" in await _refused(life_events, listed)


async def test_an_expired_token_is_refused(life_events: Client, gateway: TestGateway) -> None:
    now = int(time.time())
    token = gateway.mint(AUDIENCE, iat=now - 50, exp=now - 20)
    assert "expired 2" in await _refused(life_events, token)


async def test_clock_skew_within_the_leeway_is_tolerated(
    life_events: Client, gateway: TestGateway
) -> None:
    now = int(time.time())
    late = gateway.mint(AUDIENCE, iat=now - 32, exp=now - 2)
    early = gateway.mint(AUDIENCE, iat=now + 2, exp=now + 32, nbf=now + 2)
    for token in (late, early):
        response = await _post(life_events, {"authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


async def test_a_token_from_the_future_is_refused(
    life_events: Client, gateway: TestGateway
) -> None:
    now = int(time.time())
    assert "iat is in the future" in await _refused(
        life_events, gateway.mint(AUDIENCE, iat=now + 20, exp=now + 50)
    )
    assert "not valid yet" in await _refused(life_events, gateway.mint(AUDIENCE, nbf=now + 20))


async def test_a_lifetime_over_60_seconds_is_refused(
    life_events: Client, gateway: TestGateway
) -> None:
    message = await _refused(life_events, gateway.mint(AUDIENCE, lifetime=120))
    assert "lifetime 120 s exceeds 60 s" in message
    accepted = await _post(
        life_events, {"authorization": f"Bearer {gateway.mint(AUDIENCE, lifetime=60)}"}
    )
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"exp": None}, "claim exp must be a number"),
        ({"iat": "now"}, "claim iat must be a number"),
        ({"sub": 42}, "claim sub must be a string"),
        ({"act": "19700101-0001"}, "claim act must be"),
        ({"guardian_of": "20150101-0001"}, "claim guardian_of must be a list"),
    ],
)
async def test_malformed_claims_are_refused(
    life_events: Client, gateway: TestGateway, claims: dict[str, Any], message: str
) -> None:
    assert message in await _refused(life_events, gateway.mint(AUDIENCE, **claims))


async def test_an_unknown_kid_is_refused(life_events: Client, gateway: TestGateway) -> None:
    token = gateway.sign(gateway.header(kid="retired-key"), gateway.claims(AUDIENCE))
    assert "unknown kid 'retired-key'" in await _refused(life_events, token)
    untagged = gateway.header()
    del untagged["kid"]
    assert "names no kid" in await _refused(
        life_events, gateway.sign(untagged, gateway.claims(AUDIENCE))
    )


async def test_guessed_kids_do_not_make_the_subgraph_fetch_keys(
    open_app: OpenApp, gateway: TestGateway
) -> None:
    settings = AgencySettings(today=AS_OF, gateway=GatewayTrust(jwks_url=gateway.jwks_url))
    client = open_app(create_life_events_app, settings)
    before = gateway.fetches
    assert (await _post(client, {"authorization": f"Bearer {client.token()}"})).status_code == 200
    assert gateway.fetches == before + 1
    # Right after a fetch, invented key ids are refused without asking the gateway again
    # (the refetch itself, after 10 s, is in test_jwks.py).
    for kid in ("guess-1", "guess-2", "guess-3"):
        token = gateway.sign(gateway.header(kid=kid), gateway.claims(AUDIENCE))
        assert f"unknown kid '{kid}'" in await _refused(client, token)
    assert gateway.fetches == before + 1


async def test_unavailable_keys_refuse_the_token(open_app: OpenApp) -> None:
    with serve_gateway() as down:
        down.failing = True
        settings = AgencySettings(today=AS_OF, gateway=GatewayTrust(jwks_url=down.jwks_url))
        client = open_app(create_life_events_app, settings)
        message = await _refused(client, down.mint(AUDIENCE))
    assert "the gateway's keys are unavailable" in message


async def test_entities_without_a_token_get_401_and_no_data(
    open_app: OpenApp, settings: AgencySettings
) -> None:
    population = open_app(create_population_app, settings)
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Citizen { name { given } } } }"
    )
    body = json.dumps({"query": query, "variables": {"r": entities("19800101-0001")}})
    response = await _post(population, {}, body)
    assert response.status_code == 401
    assert "data" not in response.json()
    query_string = {"query": "{ me { name { given } } }"}
    get = await population.request("GET", "/graphql", {}, params=query_string)
    assert get.status_code == 401
    assert "data" not in get.json()


async def test_health_stays_open(life_events: Client) -> None:
    response = await life_events.request("GET", "/health", {})
    assert response.status_code == 200


@pytest.mark.parametrize("url", [None, "", "file:///etc/passwd"])
def test_an_agency_without_the_gateways_jwks_url_does_not_start(url: str | None) -> None:
    settings = AgencySettings(today=AS_OF, gateway=GatewayTrust(jwks_url=url))
    with pytest.raises(ConfigurationError, match="CITIZEN_GATEWAY_JWKS_URL"):
        create_life_events_app(settings)
