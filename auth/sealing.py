"""Access tokens a third-party platform cannot read: the signed RFC 9068 JWT, nested in a JWE
encrypted to the gateway (RFC 7516, RFC 7519 §5.2).

The access token names the citizen by their personal identity code (`sub`), which the
gateway needs to sign the identity token for subgraphs and the access log needs to name
whose data was read. A platform is told only its pairwise subject (pairwise.py), so the token
it holds must not say more:

    signed JWT (as for first-party apps) ─▶ JWE compact, ECDH-ES + A256GCM, cty JWT,
                                            kid = the gateway's `use: enc` key
    the key: from the gateway's JWKS (CITIZEN_GATEWAY_JWKS_URL, which this server already
             reads for the consent subgraph), kept five minutes

The gateway opens it (gateway/token_encryption.py) and checks the JWT inside as any other.
This server cannot open it; it finds the token's row by the token's hash (tokens.py).
Without the gateway's key no platform token is issued (fail closed: `temporarily_unavailable`).
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from gateway.token_encryption import CONTENT_ENCRYPTION, KEY_ALGORITHM

_log = logging.getLogger(__name__)
_ALGORITHMS = [KEY_ALGORITHM, CONTENT_ENCRYPTION]


class SealingUnavailable(Exception):
    """The gateway's encryption key cannot be had: no platform token can be issued now."""


class TokenSealer:
    def __init__(self, jwks_url: str, max_age: float = 300.0, timeout: float = 5.0) -> None:
        self.jwks_url = jwks_url
        self.max_age = max_age
        self.timeout = timeout
        self._key: Key | None = None
        self._fetched_at = -float("inf")
        self._lock = asyncio.Lock()

    async def seal(self, signed_jwt: str) -> str:
        key = await self.key()
        header = {"alg": KEY_ALGORITHM, "enc": CONTENT_ENCRYPTION, "cty": "JWT", "kid": key.kid}
        return jwe.encrypt_compact(header, signed_jwt, key, algorithms=_ALGORITHMS)

    async def key(self) -> Key:
        if self._key is not None and time.monotonic() - self._fetched_at < self.max_age:
            return self._key
        async with self._lock:
            if self._key is None or time.monotonic() - self._fetched_at >= self.max_age:
                try:
                    self._key = await self._fetch()
                    self._fetched_at = time.monotonic()
                except SealingUnavailable:
                    if self._key is None:
                        raise
                    # The gateway's key changes only with its key directory: keep the one held.
                    _log.warning("the gateway's encryption key was not refetched", exc_info=True)
        return self._key

    async def _fetch(self) -> Key:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http,
                http.get(self.jwks_url) as answer,
            ):
                if answer.status != 200:
                    raise SealingUnavailable(f"{self.jwks_url} answered HTTP {answer.status}")
                document = await answer.json(content_type=None)
            entries = [
                entry
                for entry in document["keys"]
                if entry.get("use") == "enc" and entry.get("alg") == KEY_ALGORITHM
            ]
            keys = KeySet.import_key_set({"keys": entries}).keys
        except SealingUnavailable:
            raise
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, KeyError, TypeError) as e:
            raise SealingUnavailable(f"the gateway's keys could not be fetched: {e!r}") from None
        except JoseError as error:
            raise SealingUnavailable(
                f"the gateway's encryption key is not usable: {error}"
            ) from None
        if len(keys) != 1 or not keys[0].kid:
            raise SealingUnavailable(
                f"{self.jwks_url} publishes {len(keys)} encryption keys ({KEY_ALGORITHM}, with a "
                "kid); exactly one is needed"
            )
        return keys[0]
