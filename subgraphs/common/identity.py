"""Who is asking: the gateway's signed identity token, checked, turned into an `Identity`.

The gateway sends every subgraph request with `Authorization: Bearer <jwt>`, a token it signs
for this one subgraph (`aud`) and that lives for seconds: JWS compact, header
`{"alg": "Ed25519", "typ": "identity+jwt", "kid": ...}`, a key from the gateway's JWKS.
A subgraph trusts nothing else about the caller. `IdentityGuard` checks the token before any
GraphQL runs, so a request without a valid one gets 401 and no data, `_entities` included:

    request ──▶ IdentityGuard ──▶ IdentityVerifier.verify ──▶ Identity in request.state
                     │ InvalidIdentityToken                        │
                     ▼                                             ▼
            401 {"errors": [... UNAUTHENTICATED]}        the GraphQL app (access.py decides
                                                          whose data each resolver returns)
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from joserfc.jwa import EdDSAAlgorithm
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from subgraphs.common.access import Identity
from subgraphs.common.jwks import KeySetCache, KeySetUnavailable
from subgraphs.common.settings import GATEWAY_ENV_PREFIX, ConfigurationError, GatewayTrust

# RFC 9864's fully specified name for EdDSA over Ed25519.
ALGORITHM = "Ed25519"
TOKEN_TYPE = "identity+jwt"
# Clocks of the gateway and the subgraph may disagree by this much.
LEEWAY = 5
# The gateway mints tokens for 30 s; one meant to live longer is not one of its tokens.
MAX_LIFETIME = 60


# The algorithm object itself, not joserfc's registry: the header's `alg` is checked by name
# first, and keys are held to Ed25519 when the key set is read (jwks.py).
_EDDSA = EdDSAAlgorithm()


class InvalidIdentityToken(Exception):
    """The request's identity token is missing or fails a check; the message says which."""


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (binascii.Error, ValueError):
        raise InvalidIdentityToken(f"malformed token: the {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise InvalidIdentityToken(f"malformed token: the {what} is not a JSON object")
    return value


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidIdentityToken(f"claim {name} must be a string")
    return value


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidIdentityToken(f"claim {name} must be a number (seconds since the epoch)")
    return float(value)


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    act = claims.get("act")
    actor = None
    if act is not None:
        if not isinstance(act, dict) or not isinstance(act.get("sub"), str):
            raise InvalidIdentityToken('claim act must be {"sub": <personal id>}')
        actor = act["sub"]
    guardian_of = claims.get("guardian_of", [])
    if not isinstance(guardian_of, list) or not all(isinstance(p, str) for p in guardian_of):
        raise InvalidIdentityToken("claim guardian_of must be a list of personal ids")
    return Identity(
        subject=_optional_str(claims, "sub"),
        actor=actor,
        consent_id=_optional_str(claims, "consent_id"),
        guardian_of=frozenset(guardian_of),
        authority=_optional_str(claims, "authority"),
        scopes=frozenset((_optional_str(claims, "scope") or "").split()),
    )


class IdentityVerifier:
    """Checks identity tokens meant for one subgraph (`audience`)."""

    def __init__(
        self,
        keys: KeySetCache,
        *,
        issuer: str,
        audience: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self._clock = clock

    async def verify(self, token: str) -> Identity:
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidIdentityToken("malformed token: not a JWS in compact serialization")
        header = _json_object(parts[0], "header")
        # Checked before any key is looked at: `none`, HS256 keyed with the public key and
        # every other algorithm are refused by name.
        if header.get("alg") != ALGORITHM:
            raise InvalidIdentityToken(f"alg must be {ALGORITHM}, got {header.get('alg')!r}")
        if header.get("typ") != TOKEN_TYPE:
            raise InvalidIdentityToken(f"typ must be {TOKEN_TYPE}, got {header.get('typ')!r}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidIdentityToken("the header names no kid")
        try:
            key = await self.keys.key(kid)
        except KeySetUnavailable as error:
            raise InvalidIdentityToken(f"the gateway's keys are unavailable: {error}") from None
        if key is None:
            raise InvalidIdentityToken(f"unknown kid {kid!r}: the gateway publishes no such key")
        try:
            signature = _b64decode(parts[2])
        except binascii.Error:
            raise InvalidIdentityToken("malformed token: the signature is not base64url") from None
        if not _EDDSA.verify(f"{parts[0]}.{parts[1]}".encode(), signature, key):
            raise InvalidIdentityToken(f"signature does not verify with the gateway's key {kid!r}")
        claims = _json_object(parts[1], "payload")
        self._check_claims(claims)
        return identity_from_claims(claims)

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise InvalidIdentityToken(f"iss must be {self.issuer!r}, got {claims.get('iss')!r}")
        if claims.get("aud") != self.audience:
            raise InvalidIdentityToken(
                f"aud must be {self.audience!r}, got {claims.get('aud')!r}: "
                "the token was minted for another subgraph"
            )
        now = self._clock()
        issued_at = _number(claims, "iat")
        expires_at = _number(claims, "exp")
        if now > expires_at + LEEWAY:
            raise InvalidIdentityToken(f"expired {now - expires_at:.0f} s ago")
        if issued_at > now + LEEWAY:
            raise InvalidIdentityToken("iat is in the future")
        if "nbf" in claims and _number(claims, "nbf") > now + LEEWAY:
            raise InvalidIdentityToken("not valid yet (nbf is in the future)")
        if expires_at - issued_at > MAX_LIFETIME:
            raise InvalidIdentityToken(
                f"lifetime {expires_at - issued_at:.0f} s exceeds {MAX_LIFETIME} s"
            )


def gateway_verifier(trust: GatewayTrust, audience: str) -> IdentityVerifier:
    """The verifier for `audience`; a subgraph without the gateway's JWKS URL must not start."""
    variable = f"{GATEWAY_ENV_PREFIX}JWKS_URL"
    if not trust.jwks_url:
        raise ConfigurationError(
            f"{variable} is not set: a subgraph trusts only identity tokens signed by the "
            "gateway, so it needs the URL of the gateway's JWKS "
            "(e.g. http://127.0.0.1:4000/.well-known/jwks.json)"
        )
    if urlsplit(trust.jwks_url).scheme not in ("http", "https"):
        raise ConfigurationError(f"{variable} must be an http(s) URL, got {trust.jwks_url!r}")
    return IdentityVerifier(KeySetCache(trust.jwks_url), issuer=trust.issuer, audience=audience)


def _bearer_token(connection: HTTPConnection) -> str:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidIdentityToken("no identity token: send Authorization: Bearer <token>")
    return token.strip()


def identity_of(connection: HTTPConnection) -> Identity:
    """The identity `IdentityGuard` verified for this request."""
    identity: Identity = connection.state.identity
    return identity


class IdentityGuard:
    """ASGI middleware in front of a GraphQL app: no valid identity token, no GraphQL."""

    def __init__(self, app: ASGIApp, verifier: IdentityVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "GraphQL is served over HTTP only"
        connection = HTTPConnection(scope)
        try:
            identity = await self.verifier.verify(_bearer_token(connection))
        except InvalidIdentityToken as error:
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": f"identity token refused: {error}",
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ]
                },
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            await response(scope, receive, send)
            return
        connection.state.identity = identity
        await self.app(scope, receive, send)
