"""Sender-constrained tokens end to end, on the launched platform: the bank, with Authlib's
OAuth 2 client, redeems its code with a DPoP proof (joserfc) and reads the citizen's income
through the gateway with the bound token and a fresh proof each time. A replayed proof, a
proof for another URL or method, a stolen token without the key, an expired proof and the
token sent as Bearer are refused; two gateway replicas sharing the real Redis refuse a proof
the other has seen."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from tests.auth.support import authorize, citizen_data
from tests.gateway.kit.dpop import DpopKey
from tests.trust_chain.people import find_people
from tests.trust_chain.platform import BANK_REDIRECT, BANK_SECRET, Platform, another_gateway

pytestmark = pytest.mark.slow

# Income only: `personalId` is identity data, which this bank was not given.
INCOME = "{ me { income { total } } }"
PUBLIC_URL = "https://api.citizen.example"


@pytest.fixture(scope="module")
def bound(platform: Platform) -> tuple[str, DpopKey, str]:
    """The bank's DPoP-bound access token for a citizen who shared income, its key, and
    whose it is."""
    citizen = find_people(platform.data_dir, date.today()).parent
    key = DpopKey()
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        "bank", BANK_SECRET, redirect_uri=BANK_REDIRECT, code_challenge_method="S256"
    ) as bank:
        uri, _ = bank.create_authorization_url(
            f"{platform.auth}/authorize",
            code_verifier=verifier,
            scope="openid",
            authorization_details=citizen_data(["income"]),
        )
        with httpx.Client(base_url=platform.auth, follow_redirects=False, timeout=30) as http:
            answer = authorize(http, dict(parse_qsl(urlsplit(uri).query)), citizen, ["income"])
        token = bank.fetch_token(
            f"{platform.auth}/token",
            code=answer["code"],
            code_verifier=verifier,
            headers={"DPoP": key.proof("POST", f"{platform.auth}/token")},
        )
    assert token["token_type"] == "DPoP"
    assert platform.gateway_claims(token["access_token"])["cnf"] == {"jkt": key.jkt}
    return str(token["access_token"]), key, citizen


def _read(url: str, headers: dict[str, str], method: str = "POST") -> httpx.Response:
    if method == "GET":
        return httpx.get(url, params={"query": INCOME}, headers=headers, timeout=30)
    return httpx.post(url, json={"query": INCOME}, headers=headers, timeout=30)


def _dpop(token: str, proof: str | None) -> dict[str, str]:
    return {"authorization": f"DPoP {token}", **({"dpop": proof} if proof else {})}


def test_the_bound_token_reads_income_with_a_fresh_proof_each_time(
    platform: Platform, bound: tuple[str, DpopKey, str]
) -> None:
    token, key, _ = bound
    for method in ("POST", "GET", "POST"):
        proof = key.proof(method, platform.gateway, access_token=token)
        response = _read(platform.gateway, _dpop(token, proof), method)
        assert response.status_code == 200, response.text
        me = response.json()["data"]["me"]
        assert me is not None and me["income"] is not None


def _refusals(platform: Platform, token: str, key: DpopKey) -> list[tuple[str, Any, str]]:
    gateway = platform.gateway
    used = key.proof("POST", gateway, access_token=token)
    assert _read(gateway, _dpop(token, used)).status_code == 200
    thief = DpopKey()
    return [
        ("a replayed proof", _dpop(token, used), "used before"),
        (
            "a proof for another URL",
            _dpop(token, key.proof("POST", platform.auth + "/userinfo", access_token=token)),
            "another URL",
        ),
        (
            "a proof for another method",
            _dpop(token, key.proof("GET", gateway, access_token=token)),
            "another method",
        ),
        (
            "a stolen token, the thief's key",
            _dpop(token, thief.proof("POST", gateway, access_token=token)),
            "another key",
        ),
        (
            "an expired proof",
            _dpop(token, key.proof("POST", gateway, access_token=token, iat=1_700_000_000)),
            "has expired",
        ),
        ("the token without a proof", _dpop(token, None), "no DPoP proof"),
        ("the token as Bearer", {"authorization": f"Bearer {token}"}, "DPoP-bound"),
    ]


def test_every_other_use_of_the_bound_token_is_refused_at_the_gateway(
    platform: Platform, bound: tuple[str, DpopKey, str]
) -> None:
    token, key, _ = bound
    for name, headers, reason in _refusals(platform, token, key):
        response = _read(platform.gateway, headers)
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"].startswith("DPoP error="), name
        assert 'algs="ES256 PS256 EdDSA"' in response.headers["www-authenticate"]
        assert "data" not in response.json()
        assert reason in response.json()["errors"][0]["message"], name


@pytest.fixture(scope="module")
def replicas(platform: Platform) -> Iterator[tuple[str, str]]:
    """Two more gateway processes behind one public name, sharing the platform's Redis."""
    with (
        another_gateway(platform, GATEWAY_PUBLIC_URL=PUBLIC_URL) as first,
        another_gateway(platform, GATEWAY_PUBLIC_URL=PUBLIC_URL) as second,
    ):
        yield first, second


def test_a_proof_used_at_one_replica_is_refused_at_the_other(
    platform: Platform, bound: tuple[str, DpopKey, str], replicas: tuple[str, str]
) -> None:
    token, key, _ = bound
    first, second = replicas
    proof = key.proof("POST", f"{PUBLIC_URL}/graphql", access_token=token)
    assert _read(first, _dpop(token, proof)).status_code == 200
    replayed = _read(second, _dpop(token, proof))
    assert replayed.status_code == 401
    assert "used before" in replayed.json()["errors"][0]["message"]
    fresh = key.proof("POST", f"{PUBLIC_URL}/graphql", access_token=token)
    assert _read(second, _dpop(token, fresh)).status_code == 200
