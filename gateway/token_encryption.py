"""Access tokens encrypted to this gateway: the key an issuer encrypts them to, and opening them.

An issuer may hand a client an access token the client cannot read (RFC 9068 allows an
encrypted JWT access token): the signed JWT, nested in a JWE (RFC 7516, RFC 7519 §5.2)
encrypted to this gateway's public key. The gateway publishes that key beside its identity
keys at `/.well-known/jwks.json` (`use: enc`, `alg: ECDH-ES`), opens the JWE and verifies the
JWT inside exactly as it verifies a plain one (authentication.py):

    compact JWE: header {"alg": "ECDH-ES", "enc": "A256GCM", "cty": "JWT", "kid": ...}
      ─▶ decrypt with the private X25519 key (about 0.1 ms) ─▶ the issuer's signed JWT

Only the issuer's signature makes the inner token worth anything: anyone may encrypt to a
public key. The key lives in GATEWAY_IDENTITY_KEY_DIR beside the signing key, so replicas
share it; without a directory it is a key of this process only (one replica).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

import orjson
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from gateway.key_files import load_or_create_okp_key

KEY_ALGORITHM = "ECDH-ES"
CONTENT_ENCRYPTION = "A256GCM"
_ALGORITHMS = [KEY_ALGORITHM, CONTENT_ENCRYPTION]
_KEY_FILE = "token-encryption-key.json"


class UndecryptableToken(Exception):
    """The JWE is not for this gateway's key or does not open; the message says which."""


def is_encrypted(token: str) -> bool:
    """A compact JWE has five parts; a compact JWS three."""
    return token.count(".") == 4


def load_or_create_decryption_key(directory: Path | None) -> OKPKey:
    """The key issuers encrypt access tokens to (X25519), shared by replicas through
    `directory`."""
    return load_or_create_okp_key(directory, _KEY_FILE, "X25519")


class TokenDecryption:
    def __init__(self, key: OKPKey) -> None:
        self.key = key

    def public_jwk(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {**public, "use": "enc", "alg": KEY_ALGORITHM}

    def open(self, token: str) -> str:
        """The nested JWT inside a compact JWE encrypted to this gateway."""
        header = _protected_header(token)
        if header.get("alg") != KEY_ALGORITHM or header.get("enc") != CONTENT_ENCRYPTION:
            raise UndecryptableToken(
                f"the token is encrypted with {header.get('alg')!r}/{header.get('enc')!r}, "
                f"not {KEY_ALGORITHM}/{CONTENT_ENCRYPTION}"
            )
        if header.get("kid") != self.key.kid:
            raise UndecryptableToken("the token is encrypted to another key than this gateway's")
        try:
            plaintext = jwe.decrypt_compact(token, self.key, algorithms=_ALGORITHMS).plaintext
        except (JoseError, ValueError) as error:
            raise UndecryptableToken(f"the token does not decrypt ({error})") from None
        if plaintext is None:
            raise UndecryptableToken("the token decrypts to nothing")
        try:
            return plaintext.decode("ascii")
        except UnicodeDecodeError:
            raise UndecryptableToken("the token does not hold a JWT") from None


def _protected_header(token: str) -> dict[str, Any]:
    segment = token.split(".", 1)[0]
    try:
        header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        raise UndecryptableToken("the token's header is not base64url-encoded JSON") from None
    if not isinstance(header, dict):
        raise UndecryptableToken("the token's header is not a JSON object")
    return header
