"""Revocation fan-out, the publishing side: every gateway replica keeps an in-memory copy.

    auth server ── RevocationPublisher.publish([(key, expires_at)])
        │  1. row in the `revocations` table (source of truth, any dialect), which
        │     `GET /revocations?since=` serves to polling gateways (revocations_since)
        │  2. Redis: ZADD auth:revoked key expires_at ; PUBLISH auth:revocations {...}
        ▼
    gateway ── gateway/revocation.py: RevocationList fed by Redis and/or polling

A key names what was revoked: `jti:<token id>`, `consent:<consent id>` or `mandate:<id>`; a
token is revoked when any key its claims name is in the list. Each key carries the time after
which no token it could match is still valid, so readers forget it then.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis.asyncio as redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "auth:revocations"
DEFAULT_SET_KEY = "auth:revoked"


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


async def revocations_since(engine: AsyncEngine, since: int) -> list[dict[str, Any]]:
    """Revocations recorded at or after `since` (epoch seconds) that still matter: what the
    gateway's polling feed asks for."""
    table = tables.revocations
    now = int(time.time())
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(table.c.key, table.c.expires_at)
                .where(table.c.revoked_at >= since, table.c.expires_at > now)
                .order_by(table.c.seq)
            )
        ).all()
    return [{"key": row.key, "expires_at": row.expires_at} for row in rows]
