"""DPoP-bound access tokens at the gateway, over real HTTP with a test issuer: a token bound to
a key (`cnf.jkt`) passes only as `Authorization: DPoP` with a fresh proof by that key; every
other way of presenting it is 401 with a DPoP challenge, and nothing is fetched. Replicas
sharing the real Redis refuse a proof another replica has seen; nonces when configured."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.errors import ConfigurationError
from gateway.settings import GatewaySettings, check_settings
from tests.gateway.kit.dpop import DpopKey
from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer
from tests.gateway.kit.replica import gateway_replica

TOPIC = "operations"
QUERY = '{ item(id: "1") { name stars } }'
DATA = {"item": {"name": "apple", "stars": 4}}
REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = f"test:dpop:{secrets.token_hex(4)}:"

pytestmark = pytest.mark.skipif(REFERENCE, reason="authentication is this gateway's own")


def _settings(issuer: TestIssuer, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_required": False,
        "dpop_redis_url": REDIS_URL,
        "dpop_redis_prefix": PREFIX,
        **extra,
    }


@pytest.fixture(scope="module")
def federation(issuer: TestIssuer) -> Iterator[Federation]:
    with start_federation(load_topic(TOPIC), _settings(issuer)) as fed:
        yield fed


def _subgraph_requests(fed: Federation) -> int:
    return sum(len(s.headers) for s in fed.subgraphs.values())


def _dpop(token: str, proof: str | None) -> dict[str, str]:
    headers = {"authorization": f"DPoP {token}"}
    if proof is not None:
        headers["dpop"] = proof
    return headers


async def _post(gw: GatewayClient, headers: dict[str, str], url: str = "") -> httpx.Response:
    return await gw.request("POST", url or "/graphql", json={"query": QUERY}, headers=headers)


async def test_a_bound_token_with_a_proof_by_its_key_is_answered(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer
) -> None:
    key = DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    for _ in range(2):  # a fresh proof each time
        proof = key.proof("POST", gw.url, access_token=token)
        assert await gw.query(QUERY, headers=_dpop(token, proof)) == (200, {"data": DATA})
    # GET names its own method; the query string is not part of htu.
    proof = key.proof("GET", gw.url, access_token=token)
    response = await gw.request("GET", params={"query": QUERY}, headers=_dpop(token, proof))
    assert (response.status_code, response.json()) == (200, {"data": DATA})


async def test_an_unbound_token_keeps_working_as_bearer(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    headers = {"authorization": f"Bearer {issuer.mint()}"}
    assert await gw.query(QUERY, headers=headers) == (200, {"data": DATA})


def _refusals(gw: GatewayClient, issuer: TestIssuer) -> list[tuple[str, dict[str, str], str, str]]:
    key, thief = DpopKey(), DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    used = key.proof("POST", gw.url, access_token=token)
    return [
        ("as Bearer", {"authorization": f"Bearer {token}"}, "invalid_token", "DPoP-bound"),
        (
            "as Bearer, even with a proof",
            {"authorization": f"Bearer {token}", "dpop": used},
            "invalid_token",
            "DPoP-bound",
        ),
        ("without a proof", _dpop(token, None), "invalid_dpop_proof", "no DPoP proof"),
        (
            "a proof for another method",
            _dpop(token, key.proof("GET", gw.url, access_token=token)),
            "invalid_dpop_proof",
            "another method",
        ),
        (
            "a proof for another URL",
            _dpop(token, key.proof("POST", gw.base_url + "/other", access_token=token)),
            "invalid_dpop_proof",
            "another URL",
        ),
        (
            "a stolen token with the thief's key",
            _dpop(token, thief.proof("POST", gw.url, access_token=token)),
            "invalid_dpop_proof",
            "another key",
        ),
        (
            "an expired proof",
            _dpop(token, key.proof("POST", gw.url, access_token=token, iat=1_700_000_000)),
            "invalid_dpop_proof",
            "has expired",
        ),
        (
            "no ath",
            _dpop(token, key.proof("POST", gw.url)),
            "invalid_dpop_proof",
            "ath does not match",
        ),
        (
            "the ath of another token",
            _dpop(token, key.proof("POST", gw.url, access_token=issuer.mint())),
            "invalid_dpop_proof",
            "ath does not match",
        ),
        (
            "an unbound token as DPoP",
            _dpop(issuer.mint(), key.proof("POST", gw.url, access_token=token)),
            "invalid_token",
            "not DPoP-bound",
        ),
        (
            "an expired bound token",
            _dpop(
                expired := issuer.mint(cnf={"jkt": key.jkt}, exp=1_700_000_000, iat=1_699_999_000),
                key.proof("POST", gw.url, access_token=expired),
            ),
            "invalid_token",
            "has expired",
        ),
    ]


@pytest.mark.parametrize("case", range(11))
async def test_every_other_way_of_presenting_a_bound_token_is_401_with_a_dpop_challenge(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer, case: int
) -> None:
    name, headers, error, reason = _refusals(gw, issuer)[case]
    response = await _post(gw, headers)
    assert response.status_code == 401, name
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'DPoP error="{error}"'), (name, challenge)
    assert 'algs="ES256 PS256 EdDSA"' in challenge
    [refusal] = response.json()["errors"]
    assert refusal["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in refusal["message"], (name, refusal["message"])
    assert "data" not in response.json()
    assert _subgraph_requests(fed) == 0, "nothing may be fetched for a refused request"


async def test_a_replayed_proof_is_refused(gw: GatewayClient, issuer: TestIssuer) -> None:
    key = DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    headers = _dpop(token, key.proof("POST", gw.url, access_token=token))
    assert (await _post(gw, headers)).status_code == 200
    replayed = await _post(gw, headers)
    assert replayed.status_code == 401
    assert "used before" in replayed.json()["errors"][0]["message"]


async def test_a_proof_one_replica_accepted_is_refused_by_another_sharing_redis(
    fed: Federation, issuer: TestIssuer
) -> None:
    key = DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    # Behind one public name, as replicas behind a load balancer are.
    public = "https://api.example.gov"
    settings = _settings(issuer, public_url=public)
    with gateway_replica(fed, settings) as first, gateway_replica(fed, settings) as second:
        headers = _dpop(token, key.proof("POST", f"{public}/graphql", access_token=token))
        assert (await _post(first, headers)).status_code == 200
        replayed = await _post(second, headers)
        assert replayed.status_code == 401
        assert "used before" in replayed.json()["errors"][0]["message"]


async def test_behind_a_proxy_htu_names_the_public_url_not_the_request_url(
    fed: Federation, issuer: TestIssuer
) -> None:
    key = DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    public = "https://citizen.example.gov/api"
    with gateway_replica(fed, _settings(issuer, public_url=public)) as gw:
        direct = _dpop(token, key.proof("POST", gw.url, access_token=token))
        refused = await _post(gw, direct)
        assert refused.status_code == 401
        assert "another URL" in refused.json()["errors"][0]["message"]
        public_proof = key.proof("POST", f"{public}/graphql", access_token=token)
        assert (await _post(gw, _dpop(token, public_proof))).status_code == 200


async def test_with_nonces_the_refusal_hands_out_a_nonce_the_retry_uses(
    fed: Federation, issuer: TestIssuer
) -> None:
    key = DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    with gateway_replica(fed, _settings(issuer, dpop_nonce=True)) as gw:
        first = await _post(gw, _dpop(token, key.proof("POST", gw.url, access_token=token)))
        assert first.status_code == 401
        assert first.headers["www-authenticate"].startswith('DPoP error="use_dpop_nonce"')
        nonce = first.headers["dpop-nonce"]
        proof = key.proof("POST", gw.url, access_token=token, nonce=nonce)
        assert (await _post(gw, _dpop(token, proof))).status_code == 200


async def test_redis_out_of_reach_is_503_never_a_pass(fed: Federation, issuer: TestIssuer) -> None:
    key = DpopKey()
    token = issuer.mint(cnf={"jkt": key.jkt})
    settings = _settings(issuer, dpop_redis_url="redis://127.0.0.1:9/0")
    with gateway_replica(fed, settings) as gw:
        response = await _post(gw, _dpop(token, key.proof("POST", gw.url, access_token=token)))
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_UNAVAILABLE"
        ready = await gw.request("GET", "/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis:dpop"].startswith("unreachable")
        # Unbound tokens do not need the replay cache.
        bearer = {"authorization": f"Bearer {issuer.mint()}"}
        assert (await _post(gw, bearer)).status_code == 200


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"dpop_algorithms": ["ES256", "XS999"]}, "GATEWAY_DPOP_ALGORITHMS"),
    ],
)
def test_dpop_settings_the_gateway_cannot_honour_stop_the_start(
    settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        check_settings(GatewaySettings(**settings))


@pytest.mark.parametrize(
    "settings",
    [
        {"dpop_algorithms": ["HS256"]},
        {"dpop_algorithms": []},
        {"public_url": "api.example.gov"},
        {"public_url": "https://api.example.gov/graphql?x=1"},
    ],
)
def test_dpop_settings_that_would_open_a_hole_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        GatewaySettings(**settings)
