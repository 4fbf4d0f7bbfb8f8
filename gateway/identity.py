"""The identity the gateway vouches for on every subgraph request: a short-lived JWT it signs.

Subgraphs cannot tell a request that came through the gateway's checks from one that did not,
unless the gateway says so in a way nobody else can forge (X-Road's signed messages are the
model). So every subgraph request carries `Authorization: Bearer <identity token>`:

    header  {"alg": "Ed25519", "typ": "identity+jwt", "kid": ...}   this gateway's key (RFC 9864)
    claims  iss   this gateway (GATEWAY_IDENTITY_ISSUER)
            aud   the subgraph's name: a token taken from one subgraph is refused by the others
            sub, act, client_id, scope, ... copied from the caller's verified access token
                  (GATEWAY_IDENTITY_CLAIMS); no `sub` for an anonymous caller
            trace_id, iat, exp (iat + GATEWAY_IDENTITY_TTL, under a minute), jti

Public keys are served at `/.well-known/jwks.json`. The client's own token never reaches a
subgraph. A request signs at most one token per subgraph, and only for requests really sent:
one that waits for an identical read of the same identity already in flight signs nothing
(transport.py). The JWS is hand-rolled (the header is encoded once): about 20 µs each.
"""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

from gateway.authentication import Caller
from gateway.errors import ConfigurationError
from gateway.key_files import load_or_create_okp_key

IDENTITY_TOKEN_TYPE = "identity+jwt"
# RFC 9864's fully specified name; the older polymorphic "EdDSA" is deprecated.
IDENTITY_TOKEN_ALGORITHM = "Ed25519"
_KEY_FILE = "signing-key.json"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def load_or_create_key(directory: Path | None) -> OKPKey:
    """The identity-token signing key (Ed25519), shared by replicas through `directory`."""
    return load_or_create_okp_key(directory, _KEY_FILE, "Ed25519")


class IdentitySigner:
    """Built once per gateway; `for_request` per request."""

    def __init__(
        self, key: OKPKey, *, issuer: str, ttl: int, forwarded_claims: tuple[str, ...]
    ) -> None:
        assert 0 < ttl < 60, "identity tokens live under a minute"
        self.key = key
        self.issuer = issuer
        self.ttl = ttl
        self.forwarded_claims = forwarded_claims
        private = key.private_key
        if not isinstance(private, Ed25519PrivateKey):
            raise ConfigurationError("GATEWAY_IDENTITY_KEY_DIR: the signing key is not Ed25519")
        self._private = private
        header = {"alg": IDENTITY_TOKEN_ALGORITHM, "typ": IDENTITY_TOKEN_TYPE, "kid": key.kid}
        self._header = _b64(orjson.dumps(header)) + b"."

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "alg": IDENTITY_TOKEN_ALGORITHM, "use": "sig"}]}

    def for_request(self, caller: Caller, trace_id: str | None) -> RequestIdentity:
        claims = caller.claims or {}
        subject = {name: claims[name] for name in self.forwarded_claims if name in claims}
        return RequestIdentity(self, subject, trace_id)

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = self._header + _b64(orjson.dumps(claims))
        return (signing_input + b"." + _b64(self._private.sign(signing_input))).decode()


class RequestIdentity:
    """One request's identity: a token per subgraph, signed the first time it is needed."""

    __slots__ = ("_signer", "_subject", "_tokens", "_trace_id", "share_key")

    def __init__(
        self, signer: IdentitySigner, subject: dict[str, Any], trace_id: str | None
    ) -> None:
        self._signer = signer
        self._subject = subject
        self._trace_id = trace_id
        self._tokens: dict[str, str] = {}
        # Requests that speak for the same identity may share identical subgraph reads; the
        # tokens themselves differ per request (jti, trace id), so they cannot be the key.
        self.share_key = orjson.dumps(subject, option=orjson.OPT_SORT_KEYS).decode()

    def authorization(self, subgraph: str) -> str:
        token = self._tokens.get(subgraph)
        if token is None:
            now = int(time.time())
            claims = {
                **self._subject,
                "iss": self._signer.issuer,
                "aud": subgraph,
                "iat": now,
                "exp": now + self._signer.ttl,
                "jti": secrets.token_urlsafe(12),
            }
            if self._trace_id is not None:
                claims["trace_id"] = self._trace_id
            token = self._tokens[subgraph] = "Bearer " + self._signer.sign(claims)
        return token
