"""The bank's side of the code flow: the authorization URL it sends the citizen to, and the
ID token checks (signature from the issuer's JWKS, issuer, audience, expiry, nonce)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from examples.mortgage_bank.oauth import (
    IdTokenInvalid,
    Pending,
    authorization_url,
    verify_id_token,
)
from examples.mortgage_bank.registration import Credentials, Provider
from tests.auth.support import free_port, serve

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(KeySet([KEY]).as_dict(private=False))

    with serve(Starlette(routes=[Route("/jwks.json", jwks)]), free_port()) as url:
        yield url


def provider(issuer: str) -> Provider:
    return Provider(issuer, f"{issuer}/authorize", f"{issuer}/token", f"{issuer}/jwks.json", "", "")


def test_the_authorization_url_asks_for_identity_and_income_with_pkce() -> None:
    pending = Pending.new()
    credentials = Credentials("bank-1", "s", "https://id.example", "https://bank/callback")
    url = authorization_url(provider("https://id.example"), credentials, pending)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://id.example/authorize?")
    digest = hashlib.sha256(pending.verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge_method"] == "S256"
    assert (query["state"], query["nonce"]) == (pending.state, pending.nonce)
    assert query["redirect_uri"] == "https://bank/callback" and "client_secret" not in query
    (detail,) = json.loads(query["authorization_details"])
    assert detail["datatypes"] == ["identity", "income"] and detail["recurrence"] == "recurring"
    assert pending.state_matches(pending.state) and not pending.state_matches("other")


def id_token(issuer: str, key: RSAKey = KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "010180-111A",
        "aud": ["bank-1"],
        "iat": now,
        "exp": now + 600,
        "nonce": "n-1",
        **changes,
    }
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


async def check(issuer: str, token: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        return await verify_id_token(http, provider(issuer), "bank-1", token, "n-1")


async def test_an_id_token_from_the_issuer_for_this_sign_in_passes(issuer: str) -> None:
    claims = await check(issuer, id_token(issuer))
    assert claims["sub"] == "010180-111A"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": "n-2"}, "nonce"),
        ({"aud": ["someone-else"]}, "another client"),
        ({"iss": "https://elsewhere.example"}, "another issuer"),
        ({"exp": int(time.time()) - 120}, "expired"),
    ],
)
async def test_an_id_token_failing_a_check_is_refused(
    issuer: str, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(IdTokenInvalid, match=reason):
        await check(issuer, id_token(issuer, **changes))


async def test_an_id_token_signed_by_another_key_is_refused(issuer: str) -> None:
    with pytest.raises(IdTokenInvalid, match="signature"):
        await check(issuer, id_token(issuer, key=OTHER_KEY))
