"""The ID token must pass every check before anyone is signed in: an allowed algorithm, a key
of the issuer's JWKS, iss, aud (and azp), exp, iat and this sign-in's nonce. The issuer here is
a small app serving discovery and keys over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal.oidc import Flow, OidcClient, OidcError
from portal.settings import PortalSettings
from tests.auth.support import free_port, serve

KEY = RSAKey.generate_key(2048, auto_kid=True)
OTHER = RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    async def discovery(request: Request) -> JSONResponse:
        return JSONResponse({"issuer": url, "jwks_uri": f"{url}/jwks"})

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse({"keys": [KEY.as_dict(private=False)]})

    app = Starlette(
        routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks)]
    )
    with serve(app, port):
        yield url


@pytest.fixture
async def client(issuer: str, tmp_path: Path) -> AsyncIterator[OidcClient]:
    secret = tmp_path / "secret"
    secret.write_text("s")
    settings = PortalSettings(
        issuer=issuer,
        gateway_url="http://127.0.0.1:1/graphql",
        public_url="http://127.0.0.1:2",
        client_secret_file=secret,
    )
    async with aiohttp.ClientSession() as http:
        yield OidcClient(settings, http)


def _claims(issuer: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": ["portal"],
        "sub": "010180-111A",
        "iat": now,
        "exp": now + 600,
        "nonce": "the-nonce",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: Any = KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


async def test_a_good_id_token_passes(client: OidcClient, issuer: str) -> None:
    claims = await client.verify_id_token(_sign(_claims(issuer)), "the-nonce")
    assert claims["sub"] == "010180-111A"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://elsewhere.example"}, "wrong issuer"),
        ({"aud": ["another-client"]}, "not meant for this client"),
        ({"aud": ["portal", "another-client"]}, "wrong authorized party"),
        ({"azp": "another-client"}, "wrong authorized party"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"iat": int(time.time()) + 600}, "issued later"),
        ({"nonce": "another-nonce"}, "wrong nonce"),
        ({"nonce": None}, "wrong nonce"),
        ({"sub": None}, "no subject"),
    ],
)
async def test_a_claim_that_fails_a_check_is_refused(
    client: OidcClient, issuer: str, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(OidcError, match=reason):
        await client.verify_id_token(_sign(_claims(issuer, **changes)), "the-nonce")


async def test_a_key_not_in_the_jwks_or_an_algorithm_not_allowed_is_refused(
    client: OidcClient, issuer: str
) -> None:
    with pytest.raises(OidcError, match="bad signature"):
        await client.verify_id_token(_sign(_claims(issuer), OTHER), "the-nonce")
    secret = OctKey.generate_key(256, auto_kid=True)
    with pytest.raises(OidcError, match="algorithm 'HS256' not allowed"):
        await client.verify_id_token(_sign(_claims(issuer), secret, "HS256"), "the-nonce")
    with pytest.raises(OidcError, match="not a JWT"):
        await client.verify_id_token("not-a-token", "the-nonce")


def test_pkce_uses_s256_of_the_verifier() -> None:
    flow = Flow.start()
    digest = hashlib.sha256(flow.verifier.encode()).digest()
    assert flow.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert len({Flow.start().state for _ in range(10)}) == 10
