"""A token issuer for the gateway's authentication tests, over real HTTP: discovery, a JWKS,
the revocation list the polling feed reads, and a development token endpoint.

The keys and signatures are real (joserfc); only the sign-in is missing, as the tests mint
tokens with whatever claims and headers a case needs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import Key, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.gateway.kit.serve import ServerThread

AUDIENCE = "citizen-account"


class TestIssuer:
    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.keys: list[Key] = [RSAKey.generate_key(2048, auto_kid=True)]
        self.jwks_fetches = 0
        self.revoked: list[dict[str, Any]] = []
        self.dev_requests: list[str] = []
        self.server = ServerThread(self._app())

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "19800101-0001",
            "client_id": "bank",
            "scope": "openid income:read",
            "jti": f"jti-{time.monotonic_ns()}",
            "iat": now,
            "exp": now + 300,
            "consent_id": "cns-1",
            "authority": "consent",
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(
        self, key: Key | None = None, *, header: dict[str, Any] | None = None, **changes: Any
    ) -> str:
        key = key or self.keys[0]
        protected = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **(header or {})}
        return jwt.encode(protected, self.claims(**changes), key, algorithms=[protected["alg"]])

    def revoke(self, key: str) -> None:
        self.revoked.append(
            {"key": key, "revoked_at": int(time.time()), "expires_at": int(time.time()) + 3600}
        )

    def _app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/jwks.json"})

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse(
                {"keys": [{**k.as_dict(private=False), "kid": k.kid} for k in self.keys]}
            )

        async def revocations(request: Request) -> JSONResponse:
            since = int(request.query_params.get("since", "0"))
            return JSONResponse(
                {"revocations": [r for r in self.revoked if r["revoked_at"] >= since]}
            )

        async def dev_token(request: Request) -> JSONResponse:
            person = str((await request.form()).get("personal_id", ""))
            self.dev_requests.append(person)
            if not person.startswith("1"):
                return JSONResponse(
                    {"error": "invalid_request", "error_description": "not in the register"},
                    status_code=400,
                )
            token = self.mint(sub=person, authority="self", consent_id=None, client_id="dev")
            return JSONResponse({"access_token": token, "expires_in": 600})

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks.json", jwks),
                Route("/revocations", revocations),
                Route("/dev/token", dev_token, methods=["POST"]),
            ]
        )


def hs256_with_public_key(key: Key, claims: dict[str, Any]) -> str:
    """The classic key-confusion forgery: HMAC over the token keyed with the public key."""
    signing_input = f"{_encode({'alg': 'HS256', 'typ': 'at+jwt'})}.{_encode(claims)}".encode()
    secret = key.as_pem(private=False)
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _encode(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` token: a header and claims with an empty signature."""
    return f"{_encode({'alg': 'none', 'typ': 'at+jwt'})}.{_encode(claims)}."
