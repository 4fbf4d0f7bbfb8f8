"""A FAPI-style platform for the auth tests: its own keys, registered by RFC 7591, and
Authlib's OAuth 2 client (httpx) authenticating with private_key_jwt."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.auth.conftest import RunningAuth

ADMIN = {"Authorization": "Bearer admin-token-for-tests"}
REDIRECT = "https://fapi-bank.example/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def platform_metadata(**extra: Any) -> dict[str, Any]:
    return {
        "client_name": "FAPI Bank",
        "redirect_uris": [REDIRECT],
        "purpose": "Check your income for a mortgage application",
        "data_categories": ["identity", "income"],
        **extra,
    }


@dataclass
class Platform:
    client_id: str
    key: ECKey | RSAKey
    alg: str
    registration: dict[str, Any]

    def oauth_client(self, auth: RunningAuth) -> OAuth2Client:
        """Authlib's client; its assertions' `aud` is the issuer (PrivateKeyJWT puts its
        `token_endpoint` argument there)."""
        client = OAuth2Client(
            client_id=self.client_id,
            client_secret=self.key,
            token_endpoint_auth_method="private_key_jwt",
            redirect_uri=REDIRECT,
            base_url=auth.url,
            timeout=10,
        )
        client.register_client_auth_method(PrivateKeyJWT(auth.url, alg=self.alg))
        return client

    def assertion(
        self, auth: RunningAuth, key: ECKey | RSAKey | None = None, **overrides: Any
    ) -> str:
        """A client assertion made by hand, for the refusals Authlib would never produce."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": auth.url,
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
            **overrides,
        }
        key = key or self.key
        header = {"alg": self.alg, "kid": str(key.kid)}
        return jwt.encode(header, claims, key, algorithms=[self.alg])


def new_key(alg: str = "ES256") -> ECKey | RSAKey:
    if alg == "ES256":
        return ECKey.generate_key("P-256", {"alg": alg}, auto_kid=True)
    return RSAKey.generate_key(2048, {"alg": alg}, auto_kid=True)


def public_jwks(*keys: ECKey | RSAKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def register(
    auth: RunningAuth, alg: str = "ES256", key: ECKey | RSAKey | None = None, **metadata: Any
) -> Platform:
    key = key or new_key(alg)
    body = platform_metadata(token_endpoint_auth_method="private_key_jwt", **metadata)
    if "jwks_uri" not in body:
        body.setdefault("jwks", public_jwks(key))
    answer = httpx.post(f"{auth.url}/register", json=body, headers=ADMIN, timeout=10)
    assert answer.status_code == 201, answer.text
    registration = answer.json()
    return Platform(registration["client_id"], key, alg, registration)


def push(
    http: httpx.Client, platform: Platform, auth: RunningAuth, **params: str
) -> httpx.Response:
    """POST /par with a hand-made assertion."""
    return http.post(
        "/par",
        data={
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": platform.assertion(auth),
            **params,
        },
    )
