"""Single-use identifiers (a client assertion's `jti`): the first use wins, every later one
is a replay. Kept in Redis when auth has one (`AUTH_REDIS_URL`, shared by every replica, as
revocations are), else in the database; either way only until the identifier's own expiry,
after which the thing it names is refused as expired anyway."""

from __future__ import annotations

import time

import redis.asyncio as redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables

KEY_PREFIX = "auth:used:"


class ReplayCache:
    def __init__(self, engine: AsyncEngine, redis_url: str = "") -> None:
        self.engine = engine
        self._redis = redis.Redis.from_url(redis_url) if redis_url else None

    async def first_use(self, key: str, expires_at: int) -> bool:
        """Record `key` as used until `expires_at`; False when it was already used."""
        now = int(time.time())
        if self._redis is not None:
            stored = await self._redis.set(
                KEY_PREFIX + key, b"1", nx=True, exat=max(expires_at, now + 1)
            )
            return bool(stored)
        table = tables.used_identifiers
        try:
            async with self.engine.begin() as connection:
                await connection.execute(table.delete().where(table.c.expires_at < now))
                await connection.execute(table.insert().values(key=key, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
