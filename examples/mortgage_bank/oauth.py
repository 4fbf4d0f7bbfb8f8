"""The bank's side of the code flow: the authorization URL (PKCE S256, state, nonce, RFC 9396
details), the code and refresh token grants, and the ID token's checks (OIDC Core §3.1.3.7)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from examples.mortgage_bank.registration import (
    CATEGORIES,
    PURPOSE,
    Credentials,
    Provider,
    ProviderUnavailable,
)

_TIMEOUT = aiohttp.ClientTimeout(total=10)
_LEEWAY = 30
# The bank asks for more than one look: "recurring" is what gets it a refresh token.
AUTHORIZATION_DETAILS = [
    {
        "type": "citizen_data",
        "datatypes": list(CATEGORIES),
        "actions": ["read"],
        "purpose": PURPOSE,
        "recurrence": "recurring",
    }
]


class TokenRefused(Exception):
    """The token endpoint refused a grant; `error` is its RFC 6749 error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class IdTokenInvalid(Exception):
    pass


@dataclass(frozen=True)
class Pending:
    """What the bank keeps between sending the citizen away and their coming back."""

    state: str
    verifier: str
    nonce: str

    @classmethod
    def new(cls) -> Pending:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_urlsafe(24))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def state_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.state.encode())


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float  # by the bank's clock
    granted: tuple[str, ...]  # the categories the citizen allowed

    def __repr__(self) -> str:
        return f"Tokens(expires_at={self.expires_at}, granted={self.granted})"

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - seconds <= (time.time() if now is None else now)


def authorization_url(provider: Provider, credentials: Credentials, pending: Pending) -> str:
    query = {
        "response_type": "code",
        "client_id": credentials.client_id,
        "redirect_uri": credentials.redirect_uri,
        "scope": "openid",
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": pending.challenge,
        "code_challenge_method": "S256",
        "authorization_details": json.dumps(AUTHORIZATION_DETAILS),
    }
    return f"{provider.authorization_endpoint}?{urlencode(query)}"


async def exchange_code(
    http: aiohttp.ClientSession,
    provider: Provider,
    credentials: Credentials,
    code: str,
    pending: Pending,
) -> Tokens:
    body = await _token_request(
        http,
        provider,
        credentials,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": credentials.redirect_uri,
            "code_verifier": pending.verifier,
        },
    )
    id_token = body.get("id_token")
    if isinstance(id_token, str):
        await verify_id_token(http, provider, credentials.client_id, id_token, pending.nonce)
    return _tokens(body, ())


async def refresh(
    http: aiohttp.ClientSession, provider: Provider, credentials: Credentials, tokens: Tokens
) -> Tokens:
    """The refresh token grant. The server rotates refresh tokens: the new one replaces the
    old, which would revoke every token of the grant if it were ever sent again."""
    if tokens.refresh_token is None:
        raise TokenRefused("invalid_grant")
    body = await _token_request(
        http,
        provider,
        credentials,
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
    )
    return _tokens(body, tokens.granted)


async def _token_request(
    http: aiohttp.ClientSession, provider: Provider, credentials: Credentials, form: dict[str, str]
) -> dict[str, Any]:
    basic = {
        "authorization": aiohttp.encode_basic_auth(credentials.client_id, credentials.client_secret)
    }
    try:
        async with http.post(
            provider.token_endpoint, data=form, headers=basic, timeout=_TIMEOUT
        ) as answer:
            status = answer.status
            body = await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise ProviderUnavailable(f"the token endpoint: {error}") from None
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"the token endpoint answered {status} without JSON")
    if status == 200 and isinstance(body.get("access_token"), str):
        return body
    if status >= 500:
        raise ProviderUnavailable(f"the token endpoint answered {status}")
    raise TokenRefused(str(body.get("error", "invalid_request")))


def _tokens(body: dict[str, Any], granted_before: tuple[str, ...]) -> Tokens:
    refresh_token = body.get("refresh_token")
    expires_in = body.get("expires_in")
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        expires_at=time.time() + (expires_in if isinstance(expires_in, int | float) else 0),
        granted=granted_categories(body.get("authorization_details")) or granted_before,
    )


def granted_categories(details: Any) -> tuple[str, ...]:
    """The categories the citizen allowed, from the token response's authorization_details
    (RFC 9396 §7: what was granted, which may be less than what was asked)."""
    if not isinstance(details, list):
        return ()
    found: dict[str, None] = {}
    for detail in details:
        if isinstance(detail, dict) and detail.get("type") == "citizen_data":
            for category in detail.get("datatypes") or []:
                if isinstance(category, str):
                    found[category] = None
    return tuple(found)


async def verify_id_token(
    http: aiohttp.ClientSession, provider: Provider, client_id: str, token: str, nonce: str
) -> dict[str, Any]:
    try:
        async with http.get(provider.jwks_uri, timeout=_TIMEOUT) as answer:
            keys = KeySet.import_key_set(await answer.json(content_type=None))
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise ProviderUnavailable(f"the JWKS: {error}") from None
    except (JoseError, TypeError, KeyError) as error:
        raise IdTokenInvalid(f"the JWKS cannot be read: {error}") from None
    try:
        claims: dict[str, Any] = dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)
    except (JoseError, ValueError) as error:
        raise IdTokenInvalid(f"its signature does not verify: {error}") from None
    now = time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    exp = claims.get("exp")
    if claims.get("iss") != provider.issuer:
        raise IdTokenInvalid("another issuer signed it")
    if client_id not in audiences or claims.get("azp", client_id) != client_id:
        raise IdTokenInvalid("it is meant for another client")
    if not isinstance(exp, int | float) or now > exp + _LEEWAY:
        raise IdTokenInvalid("it has expired")
    given = claims.get("nonce")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), nonce.encode()):
        raise IdTokenInvalid("its nonce is not this sign-in's")
    return claims
