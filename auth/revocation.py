"""Revocation fan-out: the server publishes, every gateway replica keeps an in-memory copy.

    auth server ── RevocationPublisher.publish([(key, expires_at)])
        │  1. row in the `revocations` table (source of truth, any dialect)
        │  2. Redis: ZADD auth:revoked key expires_at ; PUBLISH auth:revocations {...}
        ▼
    gateway ── RevocationList.is_revoked(claims)   (a set lookup, no I/O per request)
        ▲  fed by RedisRevocationFeed (subscribe, then load the sorted set; resync on reconnect)
        └─ or by DatabaseRevocationFeed (single machine: poll the table by `seq`, e.g. SQLite)

A key names what was revoked: `jti:<token id>`, `consent:<consent id>` or `mandate:<id>`; a
token is revoked when any key its claims name is in the list. Each key carries the time after
which no token it could match is still valid, so readers forget it then.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any, cast

import redis.asyncio as redis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "auth:revocations"
DEFAULT_SET_KEY = "auth:revoked"


def token_keys(claims: Mapping[str, Any]) -> list[str]:
    """The revocation keys a token's claims name."""
    keys = []
    if claims.get("jti"):
        keys.append(f"jti:{claims['jti']}")
    if claims.get("consent_id"):
        keys.append(f"consent:{claims['consent_id']}")
    if claims.get("mandate_id"):
        keys.append(f"mandate:{claims['mandate_id']}")
    return keys


class RevocationList:
    """The set a gateway consults on every request."""

    def __init__(self) -> None:
        self._expires: dict[str, int] = {}
        self.last_sync: float | None = None

    def add(self, key: str, expires_at: int) -> None:
        self._expires[key] = max(expires_at, self._expires.get(key, 0))

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        return any(key in self._expires for key in token_keys(claims))

    def prune(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for key in [k for k, expires in self._expires.items() if expires <= now]:
            del self._expires[key]

    def __contains__(self, key: object) -> bool:
        return key in self._expires

    def __len__(self) -> int:
        return len(self._expires)


class RevocationPublisher:
    def __init__(
        self,
        engine: AsyncEngine,
        redis_url: str = "",
        channel: str = DEFAULT_CHANNEL,
        set_key: str = DEFAULT_SET_KEY,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.set_key = set_key
        self._redis = redis.Redis.from_url(redis_url) if redis_url else None

    async def publish(self, entries: list[tuple[str, int]]) -> None:
        if not entries:
            return
        now = int(time.time())
        for key, expires_at in entries:
            try:
                async with self.engine.begin() as connection:
                    await connection.execute(
                        tables.revocations.insert().values(
                            key=key, revoked_at=now, expires_at=expires_at
                        )
                    )
            except IntegrityError:
                pass  # already revoked
        if self._redis is not None:
            mapping = {key: expires_at for key, expires_at in entries}
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self.set_key, mapping)
                pipe.zremrangebyscore(self.set_key, "-inf", now)
                pipe.publish(self.channel, json.dumps([[k, e] for k, e in entries]))
                await pipe.execute()

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


class RedisRevocationFeed:
    """Keeps a RevocationList current from Redis.

    Subscribes first and loads the sorted set second, so nothing published in between is
    lost; after a lost connection it does both again.
    """

    def __init__(
        self,
        revocations: RevocationList,
        url: str,
        channel: str = DEFAULT_CHANNEL,
        set_key: str = DEFAULT_SET_KEY,
        retry_seconds: float = 1.0,
    ) -> None:
        self.revocations = revocations
        self.channel = channel
        self.set_key = set_key
        self.retry_seconds = retry_seconds
        self._redis = redis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await self._ready.wait()

    async def _run(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    await self._load()
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            for key, expires_at in json.loads(message["data"]):
                                self.revocations.add(str(key), int(expires_at))
                            self.revocations.last_sync = time.time()
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection dropped: resubscribe and reload
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
            self.revocations.add(key, int(score))
        self.revocations.prune(now)
        self.revocations.last_sync = now

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()


class DatabaseRevocationFeed:
    """Keeps a RevocationList current by polling the auth database's `revocations` table:
    for one machine (SQLite), where there is no Redis."""

    def __init__(
        self, revocations: RevocationList, engine: AsyncEngine, interval: float = 0.5
    ) -> None:
        self.revocations = revocations
        self.engine = engine
        self.interval = interval
        self._seq = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.poll()
        self._task = asyncio.create_task(self._run())

    async def poll(self) -> None:
        now = time.time()
        table = tables.revocations
        async with self.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(table.c.seq, table.c.key, table.c.expires_at)
                    .where(table.c.seq > self._seq, table.c.expires_at > int(now))
                    .order_by(table.c.seq)
                )
            ).all()
            if not rows and self._seq == 0:
                self._seq = (await connection.scalar(select(func.max(table.c.seq)))) or 0
        for row in rows:
            self.revocations.add(row.key, row.expires_at)
            self._seq = max(self._seq, row.seq)
        self.revocations.prune(now)
        self.revocations.last_sync = now

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except Exception:
                log.warning("revocation poll failed; retrying", exc_info=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
