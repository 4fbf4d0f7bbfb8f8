"""A DPoP client's key and the proofs it signs (RFC 9449 §4.2), built with joserfc as a real
client would, with whatever a test case needs changed."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

from joserfc.jwk import ECKey, Key, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class DpopKey:
    __test__ = False

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key: Key
        if alg.startswith("ES"):
            self.key = ECKey.generate_key(_CURVES[alg])
        elif alg == "EdDSA":
            self.key = OKPKey.generate_key("Ed25519")
        else:
            self.key = RSAKey.generate_key(2048)

    @property
    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))

    @property
    def jkt(self) -> str:
        return str(self.key.thumbprint())

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A fresh proof; `claims` override or (with None) remove standard claims."""
        protected: dict[str, Any] = {
            "typ": "dpop+jwt",
            "alg": self.alg,
            "jwk": self.public_jwk,
            **(header or {}),
        }
        payload: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if access_token is not None:
            digest = hashlib.sha256(access_token.encode()).digest()
            payload["ath"] = _b64(digest)
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        # Signed by hand, not with jws.serialize_compact: a test may put a header there that
        # joserfc would refuse to write (no jwk, a private or symmetric one).
        protected = {name: value for name, value in protected.items() if value is not None}
        signing_input = f"{_b64_json(protected)}.{_b64_json(payload)}"
        signature = JWSRegistry.algorithms[self.alg].sign(signing_input.encode(), self.key)
        return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())
