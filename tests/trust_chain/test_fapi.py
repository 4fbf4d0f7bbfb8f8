"""A FAPI 2.0 platform end to end, on the launched platform, with Authlib's OAuth 2 client:
it registers under the `fapi2` profile with its own keys, pushes its authorization request
(PAR) authenticating with `private_key_jwt`, the citizen signs in and ticks income, the code
is redeemed with `private_key_jwt` and a DPoP proof, and the gateway answers the DPoP-bound
token with a fresh proof. The token tells the platform nothing about the citizen (it is
encrypted to the gateway), and at the gateway a replayed proof, a proof for another URL or
method, an expired proof and the token without its key are all refused."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey

from tests.auth.support import Pkce, authorize, citizen_data
from tests.gateway.kit.dpop import DpopKey
from tests.trust_chain.people import find_people
from tests.trust_chain.platform import Platform

pytestmark = pytest.mark.slow

REDIRECT = "https://fapi-bank.example/callback"
INCOME = "{ me { income { total } } }"


@dataclass
class Fapi:
    client_id: str
    dpop: DpopKey
    token: dict[str, Any]
    citizen: str


def _client(platform: Platform, client_id: str, key: ECKey) -> OAuth2Client:
    client = OAuth2Client(
        client_id=client_id,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        redirect_uri=REDIRECT,
        base_url=platform.auth,
        timeout=30,
    )
    # The assertion's audience is the issuer, as FAPI 2.0 asks.
    client.register_client_auth_method(PrivateKeyJWT(platform.auth, alg="ES256"))
    return client


@pytest.fixture(scope="module")
def fapi(platform: Platform) -> Fapi:
    key = ECKey.generate_key("P-256", {"alg": "ES256"}, auto_kid=True)
    admin = (platform.data_dir / "auth-admin-token").read_text().strip()
    registered = httpx.post(
        f"{platform.auth}/register",
        json={
            "client_name": "FAPI Bank",
            "redirect_uris": [REDIRECT],
            "purpose": "Check your income for a mortgage",
            "data_categories": ["identity", "income"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.as_dict(private=False)]},
            "profile": "fapi2",
        },
        headers={"authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    citizen = find_people(platform.data_dir, date.today()).parent
    pkce, dpop = Pkce.new(), DpopKey()
    with _client(platform, client_id, key) as client:
        pushed = client.post(
            "/par",
            data={
                "client_id": client_id,
                "response_type": "code",
                "redirect_uri": REDIRECT,
                "scope": "openid",
                "state": "fapi-state",
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
                "authorization_details": citizen_data(["identity", "income"]),
            },
            auth=client.client_auth("private_key_jwt"),
        )
        assert pushed.status_code == 201, pushed.text
        with httpx.Client(base_url=platform.auth, follow_redirects=False, timeout=30) as http:
            request = {"client_id": client_id, "request_uri": pushed.json()["request_uri"]}
            answer = authorize(http, request, citizen, ["income"])
        assert answer["iss"] == platform.auth and answer["state"] == "fapi-state"
        token = client.fetch_token(
            f"{platform.auth}/token",
            grant_type="authorization_code",
            code=answer["code"],
            code_verifier=pkce.verifier,
            headers={"DPoP": dpop.proof("POST", f"{platform.auth}/token")},
        )
    assert token["token_type"] == "DPoP"
    return Fapi(client_id, dpop, dict(token), citizen)


def _read(platform: Platform, token: str, proof: str | None, method: str = "POST") -> Any:
    headers = {"authorization": f"DPoP {token}", **({"dpop": proof} if proof else {})}
    if method == "GET":
        return httpx.get(platform.gateway, params={"query": INCOME}, headers=headers, timeout=30)
    return httpx.post(platform.gateway, json={"query": INCOME}, headers=headers, timeout=30)


def test_the_fapi_platform_reads_what_was_shared_with_its_bound_token(
    platform: Platform, fapi: Fapi
) -> None:
    token = fapi.token["access_token"]
    # Five dot-separated parts: a JWE for the gateway, nothing the platform can read.
    assert token.count(".") == 4 and fapi.citizen not in token
    proof = fapi.dpop.proof("POST", platform.gateway, access_token=token)
    answer = _read(platform, token, proof)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["me"]["income"] is not None


def test_the_gateway_refuses_every_misuse_of_the_bound_token(
    platform: Platform, fapi: Fapi
) -> None:
    token, key = fapi.token["access_token"], fapi.dpop
    replayed = key.proof("POST", platform.gateway, access_token=token)
    assert _read(platform, token, replayed).status_code == 200
    refusals = {
        "replayed": (replayed, "POST"),
        "another url": (key.proof("POST", f"{platform.gateway}/other", access_token=token), "POST"),
        "another method": (key.proof("GET", platform.gateway, access_token=token), "POST"),
        "expired": (
            key.proof("POST", platform.gateway, access_token=token, iat=int(time.time()) - 600),
            "POST",
        ),
        "without the key": (DpopKey().proof("POST", platform.gateway, access_token=token), "POST"),
        "no proof": (None, "POST"),
    }
    for why, (proof, method) in refusals.items():
        answer = _read(platform, token, proof, method)
        assert answer.status_code == 401, (why, answer.text)
        assert answer.headers["www-authenticate"].startswith("DPoP"), why
    as_bearer = httpx.post(
        platform.gateway,
        json={"query": INCOME},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert as_bearer.status_code == 401
