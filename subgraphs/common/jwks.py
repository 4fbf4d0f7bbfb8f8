"""The gateway's public signing keys: fetched from its JWKS URL, cached by key id.

A token naming a key id the cache does not know makes the cache fetch the key set again (the
gateway may have rotated its keys), but at most once per `refetch_interval`, so tokens with
invented key ids cannot turn every request into a fetch. A failed fetch is not cached: the
keys already known stay, and the next unknown key id tries again.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

# A key set is a few hundred bytes; anything near this is not one.
_MAX_BODY = 256 * 1024


class KeySetUnavailable(Exception):
    """The key set could not be fetched or read; the message says why."""


def parse_key_set(document: Any) -> dict[str, OKPKey]:
    """The Ed25519 signing keys of a JWKS document by `kid`; other keys are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetUnavailable("the JWKS document has no `keys` list")
    keys: dict[str, OKPKey] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or "d" in entry:
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "Ed25519") != "Ed25519":
            continue
        try:
            keys[entry["kid"]] = OKPKey.import_key(entry)
        except (JoseError, ValueError):
            continue
    return keys


def _fetch(url: str, timeout: float) -> dict[str, OKPKey]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(_MAX_BODY + 1)
    except (urllib.error.URLError, OSError) as error:
        raise KeySetUnavailable(f"fetching {url} failed: {error}") from None
    if len(body) > _MAX_BODY:
        raise KeySetUnavailable(f"{url} answered more than {_MAX_BODY} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise KeySetUnavailable(f"{url} answered something other than JSON") from None
    return parse_key_set(document)


class KeySetCache:
    def __init__(
        self,
        url: str,
        *,
        refetch_interval: float = 10.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._refetch_interval = refetch_interval
        self._timeout = timeout
        self._clock = clock
        self._keys: dict[str, OKPKey] = {}
        self._fetched_at: float | None = None
        # One fetch at a time: requests arriving together with a new kid share it.
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> OKPKey | None:
        """The key with this id, or None if the gateway does not publish it.

        Raises `KeySetUnavailable` when a fetch was due and failed.
        """
        key = self._keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._keys.get(kid)
            if key is not None:
                return key
            fetched_at = self._fetched_at
            if fetched_at is not None and self._clock() - fetched_at < self._refetch_interval:
                return None
            # urllib blocks, so it runs in a worker thread; aiohttp would need a session that
            # lives as long as the app, for a fetch that happens only when a key id is new.
            self._keys = await asyncio.to_thread(_fetch, self.url, self._timeout)
            self._fetched_at = self._clock()
            return self._keys.get(kid)
