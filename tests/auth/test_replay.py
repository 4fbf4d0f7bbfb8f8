"""Single-use identifiers: the first use wins, on the database (SQLite and PostgreSQL) and on
Redis, shared by every replica that points at the same store."""

from __future__ import annotations

import secrets
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.replay import ReplayCache
from tests.auth.conftest import REDIS_URL


async def test_first_use_wins_in_the_database(engine: AsyncEngine) -> None:
    one, other = ReplayCache(engine), ReplayCache(engine)
    later = int(time.time()) + 60
    assert await one.first_use("client_assertion:c:j1", later)
    assert not await other.first_use("client_assertion:c:j1", later)
    assert await other.first_use("client_assertion:c:j2", later)


async def test_an_expired_identifier_is_forgotten(engine: AsyncEngine) -> None:
    cache = ReplayCache(engine)
    assert await cache.first_use("client_assertion:c:old", int(time.time()) - 1)
    # Recording another one sweeps what has expired.
    assert await cache.first_use("client_assertion:c:new", int(time.time()) + 60)
    assert await cache.first_use("client_assertion:c:old", int(time.time()) + 60)


async def test_first_use_wins_across_replicas_on_redis(engine: AsyncEngine) -> None:
    one, other = ReplayCache(engine, REDIS_URL), ReplayCache(engine, REDIS_URL)
    key = f"client_assertion:c:{secrets.token_hex(8)}"
    try:
        assert await one.first_use(key, int(time.time()) + 60)
        assert not await other.first_use(key, int(time.time()) + 60)
    finally:
        await one.close()
        await other.close()
