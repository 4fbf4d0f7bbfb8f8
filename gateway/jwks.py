"""A remote JSON Web Key Set, fetched over HTTP and kept: the keys a token's `kid` names.

Keys are fetched once and kept. A token naming a `kid` the set does not hold makes the set
refetch (the issuer may have rotated its keys), but at most once per `min_refetch_seconds`, so
a stream of tokens with made-up key ids cannot turn the gateway into a load generator against
the issuer. (The fetch at start-up does not count, so a key rotated in right after it is
still picked up.) A failed fetch is not remembered: the next token tries again, within the
same limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

UrlSource = Callable[[aiohttp.ClientSession], Awaitable[str]]


class KeySetUnavailable(Exception):
    """The key set could not be fetched: no token can be checked now (not the token's fault)."""


class UnknownKey(Exception):
    """The key set, freshly fetched or not, has no key with the token's `kid`."""


class RemoteKeySet:
    def __init__(
        self,
        url: str | UrlSource,
        *,
        min_refetch_seconds: float = 10.0,
        timeout: float = 5.0,
    ) -> None:
        self._url = url
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout = timeout
        self._keys: dict[str, Key] = {}
        self._anonymous: list[Key] = []  # keys without a `kid`, tried when a token names none
        self._fetched_at: float | None = None
        self._attempted_at = -float("inf")
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def key(self, kid: str | None) -> Key:
        found = self._find(kid)
        if found is not None:
            return found
        async with self._lock:
            found = self._find(kid)  # another request may have refetched meanwhile
            if found is None and time.monotonic() - self._attempted_at >= self.min_refetch_seconds:
                self._attempted_at = time.monotonic()
                await self._refresh()
                found = self._find(kid)
        if found is not None:
            return found
        if self._fetched_at is None:
            raise KeySetUnavailable("the issuer's keys could not be fetched")
        raise UnknownKey(f"no key with kid {kid!r} in the issuer's key set")

    async def refresh(self) -> None:
        """Fetch now (at start-up, say); raises KeySetUnavailable."""
        async with self._lock:
            await self._refresh()

    async def ensure_fetched(self) -> None:
        """Fetch the keys if they never were, at most once per `min_refetch_seconds`; raises
        KeySetUnavailable while they cannot be."""
        if self._fetched_at is not None:
            return
        async with self._lock:
            if (
                self._fetched_at is None
                and time.monotonic() - self._attempted_at >= self.min_refetch_seconds
            ):
                self._attempted_at = time.monotonic()
                await self._refresh()
        if self._fetched_at is None:
            raise KeySetUnavailable("the issuer's keys have not been fetched yet")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _find(self, kid: str | None) -> Key | None:
        if kid is None:
            return self._anonymous[0] if len(self._anonymous) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            url = self._url if isinstance(self._url, str) else await self._url(self._session)
            async with self._session.get(url, headers={"accept": "application/json"}) as answer:
                if answer.status != 200:
                    raise KeySetUnavailable(f"{url} answered HTTP {answer.status}")
                document = await answer.json(content_type=None)
            key_set = KeySet.import_key_set(document)
        except KeySetUnavailable:
            raise
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, JoseError) as error:
            raise KeySetUnavailable(f"the key set could not be fetched: {error}") from None
        keys: dict[str, Key] = {}
        anonymous: list[Key] = []
        for key in key_set.keys:
            if key.kid:
                keys[key.kid] = key
            else:
                anonymous.append(key)
        self._keys, self._anonymous = keys, anonymous
        self._fetched_at = time.monotonic()


async def discovered_jwks_uri(session: aiohttp.ClientSession, issuer: str) -> str:
    """The `jwks_uri` of an issuer's discovery document (OpenID Connect, then RFC 8414).

    The document must name the same issuer (RFC 8414 section 3.3), or a server reached by
    mistake could hand out keys for tokens it never issued."""
    base = issuer.rstrip("/")
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        async with session.get(base + path, headers={"accept": "application/json"}) as answer:
            if answer.status != 200:
                continue
            document = await answer.json(content_type=None)
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise KeySetUnavailable(f"{base + path} does not describe the issuer {issuer!r}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise KeySetUnavailable(f"{base + path} names no jwks_uri")
        return jwks_uri
    raise KeySetUnavailable(f"no discovery document for the issuer {issuer!r}")
