"""Revoked tokens, consents and mandates, known to every replica without I/O per request.

    issuer ── publishes revocation keys  `<kind>:<id>`  with the time each stops mattering
      │  Redis: ZADD <set> key expires_at ; PUBLISH <channel> [[key, expires_at], ...]
      │  HTTP:  GET <poll url>?since=<epoch s> -> {"revocations": [{key, expires_at}, ...]}
      ▼
    RevocationList  ◀── RedisRevocationFeed (subscribe, then load the set; again on reconnect)
                    ◀── PollingRevocationFeed (one machine, or no Redis: poll the issuer)

A token is revoked when any key its claims name is in the list: `revocation_claims` maps a
claim to the kind of key it names (`jti` -> `jti:<jti>`, `consent_id` -> `consent:<id>`).
Each key carries the time after which no token it could match is alive, so it is forgotten
then. The list also knows how fresh it is, so the gateway can refuse tokens (fail closed)
rather than honour revoked ones when the feed has been out of reach for too long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Mapping
from typing import Any, Protocol, cast

import aiohttp
import orjson
import redis.asyncio as redis

log = logging.getLogger(__name__)


class RevocationList:
    def __init__(self, revocation_claims: Mapping[str, str]) -> None:
        self.revocation_claims = tuple(revocation_claims.items())
        self._expires: dict[str, float] = {}
        # Per feed, until when it vouches the list is complete: infinity while a live feed is
        # connected, the time of the last successful poll otherwise.
        self._synced_until: dict[str, float] = {}

    def add(self, key: str, expires_at: float) -> None:
        self._expires[key] = max(expires_at, self._expires.get(key, 0))

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        for claim, kind in self.revocation_claims:
            value = claims.get(claim)
            if value is not None and f"{kind}:{value}" in self._expires:
                return True
        return False

    def mark_synced(self, feed: str, until: float) -> None:
        self._synced_until[feed] = until

    def synced_until(self, feed: str) -> float | None:
        return self._synced_until.get(feed)

    def staleness(self, now: float) -> float:
        """Seconds for which revocations may have been missed (infinite before any load):
        the freshest feed counts, so one feed failing while another works is no outage."""
        if not self._synced_until:
            return math.inf
        return max(0.0, now - max(self._synced_until.values()))

    def prune(self, now: float) -> None:
        for key in [k for k, expires in self._expires.items() if expires <= now]:
            del self._expires[key]

    def __contains__(self, key: object) -> bool:
        return key in self._expires

    def __len__(self) -> int:
        return len(self._expires)


class RevocationFeed(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class RedisRevocationFeed:
    """Subscribes first and loads the sorted set second, so nothing published in between is
    lost; after a lost connection it does both again."""

    def __init__(
        self,
        revocations: RevocationList,
        url: str,
        channel: str,
        set_key: str,
        retry_seconds: float = 1.0,
        ready_timeout: float = 5.0,
    ) -> None:
        self.revocations = revocations
        self.ready_timeout = ready_timeout
        self.channel = channel
        self.set_key = set_key
        self.retry_seconds = retry_seconds
        self._redis = redis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Returns once the list is loaded, or after `ready_timeout` (the feed keeps trying;
        until it succeeds the list is stale and tokens are refused)."""
        self._task = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), self.ready_timeout)

    async def _run(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    await self._load()
                    self.revocations.mark_synced("redis", math.inf)
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            for key, expires_at in orjson.loads(message["data"]):
                                self.revocations.add(str(key), float(expires_at))
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.revocations.synced_until("redis") == math.inf:
                    self.revocations.mark_synced("redis", time.time())
                log.warning("revocation feed lost Redis; retrying", exc_info=True)
                await asyncio.sleep(self.retry_seconds)

    async def _load(self) -> None:
        now = time.time()
        members = cast(
            "list[tuple[bytes, float]]",
            await self._redis.zrangebyscore(self.set_key, now, "+inf", withscores=True),
        )
        for member, score in members:
            key = member.decode() if isinstance(member, bytes) else str(member)
            self.revocations.add(key, score)
        self.revocations.prune(now)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()


# Polls ask again for what was revoked shortly before the last poll: a revocation committed
# late (a slow transaction on a database with concurrent writers) is still seen.
_POLL_OVERLAP_SECONDS = 10
# While polls fail, the failure is logged again at most this often.
_FAILURE_LOG_SECONDS = 60.0


class PollingRevocationFeed:
    """Asks the issuer every `interval` for what was revoked since the last poll."""

    def __init__(self, revocations: RevocationList, url: str, interval: float = 0.5) -> None:
        self.revocations = revocations
        self.url = url
        self.interval = interval
        self._since = 0
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            await self.poll()
        except Exception:
            log.warning("revocation poll failed; tokens are refused until one succeeds")
        self._task = asyncio.create_task(self._run())

    async def poll(self) -> None:
        assert self._session is not None, "start() first"
        started = time.time()
        async with self._session.get(self.url, params={"since": str(self._since)}) as answer:
            answer.raise_for_status()
            document = await answer.json(content_type=None)
        for item in document["revocations"]:
            self.revocations.add(str(item["key"]), float(item["expires_at"]))
        self._since = int(started) - _POLL_OVERLAP_SECONDS
        self.revocations.prune(started)
        self.revocations.mark_synced("poll", started)

    async def _run(self) -> None:
        # An issuer out of reach fails every poll: logged when it starts, once a minute while
        # it lasts, and when it ends, not twice a second.
        failing_since: float | None = None
        logged_at = 0.0
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                now = time.monotonic()
                if failing_since is None or now - logged_at >= _FAILURE_LOG_SECONDS:
                    log.warning(
                        "revocation poll failed; retrying every %gs: %r", self.interval, error
                    )
                    logged_at = now
                if failing_since is None:
                    failing_since = now
            else:
                if failing_since is not None:
                    log.warning(
                        "revocation poll succeeded again after %.0fs",
                        time.monotonic() - failing_since,
                    )
                    failing_since = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()
