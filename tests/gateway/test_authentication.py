"""Who is asking: Bearer access tokens verified against the issuer's discovered JWKS, refusals
as HTTP 401 with the check that failed, revocation, the development identity, and the identity
token every subgraph request carries (fixtures/operations, a test issuer over real HTTP)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gateway.errors import ConfigurationError
from gateway.settings import GatewaySettings, check_settings
from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer, hs256_with_public_key, unsigned
from tests.gateway.kit.subgraph import Fault

TOPIC = "operations"
QUERY = '{ item(id: "1") { name stars } }'
DATA = {"item": {"name": "apple", "stars": 4}}

pytestmark = pytest.mark.skipif(REFERENCE, reason="authentication is this gateway's own")


@pytest.fixture(scope="module")
def federation(issuer: TestIssuer) -> Iterator[Federation]:
    settings = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{issuer.url}/revocations",
        "revocation_poll_interval": 0.05,
        "env": "development",
        "dev_token_url": f"{issuer.url}/dev/token",
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        yield fed


def _subgraph_headers(fed: Federation) -> list[dict[str, str]]:
    return [h for s in fed.subgraphs.values() for h in s.headers]


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _identity_claims(
    gw: GatewayClient, fed: Federation, subgraph: str = "store"
) -> dict[str, Any]:
    """The identity token a subgraph saw, verified with the gateway's published keys."""
    jwks = (await gw.request("GET", "/.well-known/jwks.json")).json()
    [headers] = fed.subgraphs[subgraph].headers
    token = headers["authorization"].removeprefix("Bearer ")
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["Ed25519"])
    assert decoded.header["typ"] == "identity+jwt"
    return dict(decoded.claims)


async def test_a_valid_token_reaches_subgraphs_as_the_gateways_identity_token(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer
) -> None:
    token = issuer.mint()
    status, body = await gw.query(
        QUERY,
        headers={
            **_bearer(token),
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
    )
    assert (status, body) == (200, {"data": DATA})
    claims = await _identity_claims(gw, fed)
    assert claims["aud"] == "store"
    assert claims["iss"] == "urn:citizen-account:gateway"
    assert claims["sub"] == "19800101-0001"
    assert claims["client_id"] == "bank"
    assert claims["consent_id"] == "cns-1"
    assert claims["authority"] == "consent"
    assert claims["scope"] == "openid income:read"
    assert claims["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert 0 < claims["exp"] - claims["iat"] < 60
    # One token per subgraph, each for that subgraph only.
    ratings = await _identity_claims(gw, fed, "ratings")
    assert ratings["aud"] == "ratings" and ratings["sub"] == claims["sub"]
    assert ratings["jti"] != claims["jti"]
    # The client's own token never leaves the gateway.
    assert token not in str(_subgraph_headers(fed))


async def test_no_token_is_anonymous_and_subgraphs_still_get_an_identity_token(
    gw: GatewayClient, fed: Federation
) -> None:
    assert await gw.query(QUERY) == (200, {"data": DATA})
    claims = await _identity_claims(gw, fed)
    assert "sub" not in claims and "scope" not in claims
    assert claims["aud"] == "store"


def _refusals(issuer: TestIssuer) -> list[tuple[str, str, str]]:
    other_key = RSAKey.generate_key(2048, auto_kid=True)
    other_key_same_kid = RSAKey.generate_key(2048, parameters={"kid": issuer.keys[0].kid})
    now = int(time.time())
    return [
        ("garbage", "not-a-jwt", "three dot-separated parts"),
        ("unsigned", unsigned(issuer.claims()), "algorithm 'none' is not accepted"),
        (
            "HS256 with the public key as secret",
            hs256_with_public_key(issuer.keys[0], issuer.claims()),
            "algorithm 'HS256' is not accepted",
        ),
        ("forged with another key", issuer.mint(other_key_same_kid), "signature does not verify"),
        ("signed by an unknown key", issuer.mint(other_key), "not signed by the issuer"),
        ("expired", issuer.mint(exp=now - 120, iat=now - 720), "has expired"),
        ("not yet valid", issuer.mint(nbf=now + 600), "not valid yet"),
        ("wrong audience", issuer.mint(aud="someone-else"), "not meant for citizen-account"),
        ("wrong issuer", issuer.mint(iss="https://evil.example"), "was not issued by"),
        ("an ID token", issuer.mint(header={"typ": "JWT"}), "typ at+jwt"),
        ("no expiry", issuer.mint(exp=None), "no expiry"),
        ("no subject", issuer.mint(sub=None), "names no subject"),
    ]


@pytest.mark.parametrize("case", range(12))
async def test_bad_tokens_get_401_saying_which_check_failed_and_no_data(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer, case: int
) -> None:
    name, token, reason = _refusals(issuer)[case]
    response = await gw.request("POST", json={"query": QUERY}, headers=_bearer(token))
    assert response.status_code == 401, name
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert reason in error["message"], (name, error["message"])
    assert _subgraph_headers(fed) == [], "nothing may be fetched for a refused token"


async def test_a_malformed_authorization_header_is_refused(gw: GatewayClient) -> None:
    response = await gw.request(
        "POST", json={"query": QUERY}, headers={"authorization": "Basic YTpi"}
    )
    assert response.status_code == 401
    assert "Bearer <token>" in response.json()["errors"][0]["message"]


async def test_a_rotated_key_is_fetched_once_and_made_up_kids_are_rate_limited(
    issuer: TestIssuer,
) -> None:
    settings = {"issuer": issuer.url, "audience": AUDIENCE, "revocation_required": False}
    with start_federation(load_topic(TOPIC), settings) as fed:
        new_key = RSAKey.generate_key(2048, auto_kid=True)
        issuer.keys.append(new_key)
        fetches = issuer.jwks_fetches
        status, body = await fed.gateway.query(QUERY, headers=_bearer(issuer.mint(new_key)))
        assert (status, body) == (200, {"data": DATA})
        assert issuer.jwks_fetches == fetches + 1
        for _ in range(5):
            stranger = RSAKey.generate_key(2048, auto_kid=True)
            response = await fed.gateway.request(
                "POST", json={"query": QUERY}, headers=_bearer(issuer.mint(stranger))
            )
            assert response.status_code == 401
        assert issuer.jwks_fetches == fetches + 1, "unknown kids within 10 s must not refetch"


async def test_a_revoked_token_or_consent_stops_working_at_the_next_poll(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    token = issuer.mint(jti="jti-to-revoke", consent_id="cns-to-revoke")
    assert (await gw.query(QUERY, headers=_bearer(token)))[0] == 200
    other = issuer.mint(consent_id="cns-to-revoke")
    issuer.revoke("consent:cns-to-revoke")
    await asyncio.sleep(0.3)
    for revoked in (token, other):
        response = await gw.request("POST", json={"query": QUERY}, headers=_bearer(revoked))
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"] == "the token has been revoked"
    assert (await gw.query(QUERY, headers=_bearer(issuer.mint())))[0] == 200


async def test_the_development_identity_header_becomes_a_token_from_the_issuer(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer
) -> None:
    headers = {"x-citizen-dev-identity": "19900101-0002"}
    assert await gw.query(QUERY, headers=headers) == (200, {"data": DATA})
    claims = await _identity_claims(gw, fed)
    assert (claims["sub"], claims["authority"]) == ("19900101-0002", "self")
    fed.reset()
    assert await gw.query(QUERY, headers=headers) == (200, {"data": DATA})
    assert issuer.dev_requests.count("19900101-0002") == 1, "the token is reused until it expires"
    response = await gw.request(
        "POST", json={"query": QUERY}, headers={"x-citizen-dev-identity": "nobody"}
    )
    assert response.status_code == 401
    assert "not in the register" in response.json()["errors"][0]["message"]


async def test_the_issuer_out_of_reach_means_503_never_data(issuer: TestIssuer) -> None:
    settings = {
        "issuer": "http://127.0.0.1:9",
        "audience": AUDIENCE,
        "revocation_required": False,
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        response = await fed.gateway.request(
            "POST", json={"query": QUERY}, headers=_bearer(issuer.mint())
        )
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_UNAVAILABLE"
        assert _subgraph_headers(fed) == []


async def test_a_stale_revocation_feed_refuses_tokens(issuer: TestIssuer) -> None:
    settings = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": "http://127.0.0.1:9/revocations",
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        response = await fed.gateway.request(
            "POST", json={"query": QUERY}, headers=_bearer(issuer.mint())
        )
        assert response.status_code == 503
        # Anonymous callers need no revocation list.
        assert await fed.gateway.query(QUERY) == (200, {"data": DATA})


async def test_production_ignores_the_development_header_and_accepts_no_token_without_issuer(
    issuer: TestIssuer,
) -> None:
    with start_federation(load_topic(TOPIC), {}) as fed:
        headers = {"x-citizen-dev-identity": "19900101-0002"}
        assert await fed.gateway.query(QUERY, headers=headers) == (200, {"data": DATA})
        assert all("x-citizen-dev-identity" not in seen for seen in _subgraph_headers(fed))
        response = await fed.gateway.request(
            "POST", json={"query": QUERY}, headers=_bearer(issuer.mint())
        )
        assert response.status_code == 401
        assert "no issuer configured" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"issuer": "https://id.example"}, "GATEWAY_AUDIENCE"),
        ({"issuer": "https://id.example", "audience": "a"}, "GATEWAY_REVOCATION"),
        (
            {
                "dev_token_url": "http://x/dev/token",
                "issuer": "https://i",
                "audience": "a",
                "revocation_required": False,
            },
            "GATEWAY_DEV_TOKEN_URL",
        ),
    ],
)
def test_settings_the_gateway_cannot_honour_stop_the_start(
    settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        check_settings(GatewaySettings(**settings))


@pytest.mark.parametrize(
    "settings",
    [
        {"token_algorithms": ["RS256", "HS256"]},
        {"token_algorithms": ["none"]},
        {"propagate_headers": ["Authorization"]},
    ],
)
def test_settings_that_would_open_a_hole_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        GatewaySettings(**settings)


async def test_the_published_keys_are_public_only(gw: GatewayClient) -> None:
    async with httpx.AsyncClient() as client:
        jwks = (await client.get(f"{gw.base_url}/.well-known/jwks.json")).json()
    # The identity tokens' signing key, and the key issuers encrypt access tokens to.
    [signing, encryption] = jwks["keys"]
    assert (signing["kty"], signing["crv"], signing["alg"], signing["use"]) == (
        "OKP",
        "Ed25519",
        "Ed25519",
        "sig",
    )
    assert (encryption["kty"], encryption["crv"], encryption["alg"], encryption["use"]) == (
        "OKP",
        "X25519",
        "ECDH-ES",
        "enc",
    )
    assert "d" not in signing and "d" not in encryption


async def test_keys_can_come_from_a_jwks_url_other_than_the_issuers(issuer: TestIssuer) -> None:
    """In a container network the issuer's public name (what tokens say) is not where the
    gateway reaches it: GATEWAY_JWKS_URL names the keys directly, skipping discovery."""
    settings = {
        "issuer": "https://id.example.gov",
        "audience": AUDIENCE,
        "jwks_url": f"{issuer.url}/jwks.json",
        "revocation_required": False,
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        token = issuer.mint(iss="https://id.example.gov")
        assert await fed.gateway.query(QUERY, headers=_bearer(token)) == (200, {"data": DATA})
        response = await fed.gateway.request(
            "POST", json={"query": QUERY}, headers=_bearer(issuer.mint())
        )
        assert response.status_code == 401, "the issuer named in the token still counts"


async def test_identical_reads_for_one_identity_are_shared_and_only_the_sent_one_is_signed(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer
) -> None:
    """Identity tokens differ per request, yet two clients speaking for the same person share
    one subgraph request (and one signature); another person's read is never shared."""
    fed.subgraphs["store"].fault = Fault.slow(0.3)
    same = _bearer(issuer.mint(sub="19800101-0001"))
    other = _bearer(issuer.mint(sub="19800101-0002"))
    answers = await asyncio.gather(
        gw.query(QUERY, headers=same), gw.query(QUERY, headers=same), gw.query(QUERY, headers=other)
    )
    assert answers == [(200, {"data": DATA})] * 3
    keys = KeySet.import_key_set((await gw.request("GET", "/.well-known/jwks.json")).json())
    subjects = [
        jwt.decode(h["authorization"].removeprefix("Bearer "), keys, algorithms=["Ed25519"]).claims[
            "sub"
        ]
        for h in fed.subgraphs["store"].headers
    ]
    assert sorted(subjects) == ["19800101-0001", "19800101-0002"]
