"""`python -m bench sealed-tokens`: what a sealed access token (a signed JWT nested in a JWE
encrypted to the gateway, auth/sealing.py) costs on the gateway's token path, in process.

The gateway's `TokenVerifier` is timed on four streams of Bearer tokens: one token repeated
(what a platform sends while its token lives: the verified-token cache answers) and a new
token every request (the worst case: every request pays the signature, and a sealed one the
decryption too), each plain (RS256 JWT) and sealed (ECDH-ES X25519 + A256GCM around it). The
issuer side, sealing one token, is timed as well. The key set is in memory, so no HTTP is
counted; revocation lookups cost the same for both and are left out.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from joserfc import jwe, jwt
from joserfc.jwk import Key, RSAKey

from gateway.authentication import TokenVerifier
from gateway.jwks import RemoteKeySet
from gateway.token_encryption import (
    CONTENT_ENCRYPTION,
    KEY_ALGORITHM,
    TokenDecryption,
    load_or_create_decryption_key,
)

ISSUER = "https://issuer.bench"
AUDIENCE = "urn:bench:gateway"


class _Keys:
    """The issuer's key, in memory: RemoteKeySet's one method the verifier calls."""

    def __init__(self, key: Key) -> None:
        self._key = key

    async def key(self, kid: str | None) -> Key:
        return self._key


def _mint(key: RSAKey, count: int) -> list[str]:
    now = int(time.time())
    header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
    return [
        jwt.encode(
            header,
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": f"{100000 + n:06d}-123A",
                "client_id": "bench-platform",
                "scope": "openid income:read",
                "authority": "consent",
                "consent_id": f"cns-{n}",
                "jti": secrets.token_urlsafe(16),
                "iat": now,
                "exp": now + 3600,
            },
            key,
            algorithms=["RS256"],
        )
        for n in range(count)
    ]


def _seal(tokens: Sequence[str], decryption: TokenDecryption) -> list[str]:
    public = decryption.public_jwk()
    recipient = type(decryption.key).import_key(public)
    header = {"alg": KEY_ALGORITHM, "enc": CONTENT_ENCRYPTION, "cty": "JWT", "kid": public["kid"]}
    algorithms = [KEY_ALGORITHM, CONTENT_ENCRYPTION]
    return [jwe.encrypt_compact(header, t, recipient, algorithms=algorithms) for t in tokens]


def _per_call_us(calls: int, run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) / calls * 1e6


def main(requests: int) -> int:
    key = RSAKey.generate_key(2048, auto_kid=True)
    decryption = TokenDecryption(load_or_create_decryption_key(None))
    plain = _mint(key, requests)
    sealing_us = _per_call_us(requests, lambda: _seal(plain, decryption))
    sealed = _seal(plain, decryption)

    def verifier() -> TokenVerifier:
        keys = cast(RemoteKeySet, _Keys(key))
        return TokenVerifier(ISSUER, AUDIENCE, frozenset({"RS256"}), 30, keys, decryption)

    def per_request_us(tokens: Sequence[str]) -> float:
        async def verify_all() -> None:
            checker = verifier()
            for token in tokens:
                await checker.verify(token)

        return _per_call_us(len(tokens), lambda: asyncio.run(verify_all()))

    rows = []
    for name, tokens in (("plain JWT", plain), ("sealed (JWE around the JWT)", sealed)):
        per_request_us(tokens[:10])  # warm the imports and the event loop
        rows.append((name, per_request_us([tokens[0]] * requests), per_request_us(tokens)))
    print(f"token path of the gateway, {requests} requests each, µs per request")
    print("| token | same token every request | a new token every request |")
    print("|---|---|---|")
    for name, repeated, fresh in rows:
        print(f"| {name} | {repeated:.1f} | {fresh:.1f} |")
    print(f"issuer: sealing one token {sealing_us:.1f} µs")
    return 0
