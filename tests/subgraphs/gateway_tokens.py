"""The gateway's side of the identity token, for tests: an Ed25519 key, tokens minted for a
given caller, and the JWKS served over real HTTP, so subgraphs fetch keys as in production."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.token_encryption import TokenDecryption, load_or_create_decryption_key
from subgraphs.common.settings import GATEWAY_ISSUER
from tests.auth.support import free_port, serve

_EDDSA = EdDSAAlgorithm()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key() -> OKPKey:
    return OKPKey.generate_key(
        "Ed25519", parameters={"kid": secrets.token_hex(4), "use": "sig", "alg": "Ed25519"}
    )


@dataclass(frozen=True)
class Caller:
    """Whom a token speaks for, in the gateway's terms (the claims below)."""

    subject: str | None = None
    actor: str | None = None
    delegation: str | None = None
    consent_id: str | None = None
    mandate_id: str | None = None
    guardian_of: tuple[str, ...] | None = None
    # As auth/authority.py writes it; derived from the fields above unless given.
    authority: str | None = None
    # Unless given: the citizen's own app manages the account, nobody else does.
    scope: str | None = None

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"client_id": "portal", "scope": "openid"}
        if self.subject is not None:
            claims["authority"] = self.authority or (
                "consent" if self.consent_id else (self.delegation or "self")
            )
            if claims["authority"] == "self":
                claims["scope"] = "openid account:manage"
        if self.scope is not None:
            claims["scope"] = self.scope
        if self.subject is not None:
            claims["sub"] = self.subject
        if self.actor is not None:
            claims["act"] = {"sub": self.actor}
        for name in ("delegation", "consent_id", "mandate_id"):
            if getattr(self, name) is not None:
                claims[name] = getattr(self, name)
        if self.guardian_of is not None:
            claims["guardian_of"] = list(self.guardian_of)
        return claims


@dataclass
class TestGateway:
    """Signs with `signing_key`; publishes `published` at `jwks_url` and counts the fetches
    (answering 503 while `failing`)."""

    __test__ = False  # not a test class, despite the name

    signing_key: OKPKey = field(default_factory=new_key)
    published: list[OKPKey] = field(default_factory=list)
    # What the auth server seals platforms' access tokens to (gateway/token_encryption.py).
    decryption: TokenDecryption = field(
        default_factory=lambda: TokenDecryption(load_or_create_decryption_key(None))
    )
    issuer: str = GATEWAY_ISSUER
    jwks_url: str = ""
    fetches: int = 0
    failing: bool = False

    def __post_init__(self) -> None:
        if not self.published:
            self.published = [self.signing_key]

    def sign(
        self, header: dict[str, Any], claims: dict[str, Any], key: OKPKey | None = None
    ) -> str:
        """A compact JWS over any header and claims, signed Ed25519 with `key` (or ours)."""
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        )
        signature = _EDDSA.sign(signing_input.encode(), key or self.signing_key)
        return f"{signing_input}.{b64url(signature)}"

    def header(self, **overrides: Any) -> dict[str, Any]:
        return {"alg": "Ed25519", "typ": "identity+jwt", "kid": self.signing_key.kid, **overrides}

    def claims(
        self, audience: str, caller: Caller = Caller(), lifetime: int = 30, **overrides: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            "trace_id": secrets.token_hex(16),
            **caller.claims(),
            **overrides,
        }

    def mint(self, audience: str, caller: Caller = Caller(), **overrides: Any) -> str:
        """A valid token for `audience` speaking for `caller` (anonymous by default)."""
        return self.sign(self.header(), self.claims(audience, caller, **overrides))

    def jwks(self) -> dict[str, Any]:
        keys = [key.as_dict(private=False) for key in self.published]
        return {"keys": [*keys, self.decryption.public_jwk()]}

    def rotate(self) -> None:
        """Sign with a new key and publish only it, as a gateway rotating its keys would."""
        self.signing_key = new_key()
        self.published = [self.signing_key]


@contextmanager
def serve_gateway(gateway: TestGateway | None = None) -> Iterator[TestGateway]:
    """Serve the gateway's JWKS on a free port until the block ends."""
    gateway = gateway or TestGateway()

    async def jwks(request: Request) -> JSONResponse:
        gateway.fetches += 1
        if gateway.failing:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return JSONResponse(gateway.jwks())

    app = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
    with serve(app, free_port()) as url:
        gateway.jwks_url = f"{url}/.well-known/jwks.json"
        yield gateway
