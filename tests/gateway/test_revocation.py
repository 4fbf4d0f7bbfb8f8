"""Revocations reach every gateway replica: the auth server's publisher, the gateway's feeds,
through the real Redis and over HTTP polling."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import redis.asyncio as redis

from auth.db import open_database
from auth.revocation import RevocationPublisher, revocations_since
from gateway.revocation import RedisRevocationFeed, RevocationList

REDIS_URL = "redis://127.0.0.1:6379/0"
CLAIMS = {"jti": "jti", "consent_id": "consent", "mandate_id": "mandate"}


async def until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_redis_fan_out_reaches_every_replica(tmp_path: Path) -> None:
    suffix = secrets.token_hex(4)
    channel, set_key = f"test:revocations:{suffix}", f"test:revoked:{suffix}"
    engine = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'auth.sqlite3'}")
    publisher = RevocationPublisher(engine, REDIS_URL, channel, set_key)
    later = int(time.time()) + 600
    try:
        # Published before a replica starts: it finds it in the set.
        await publisher.publish([("consent:early", later)])
        replicas = [RevocationList(CLAIMS), RevocationList(CLAIMS)]
        feeds = [RedisRevocationFeed(r, REDIS_URL, channel, set_key) for r in replicas]
        for feed in feeds:
            await feed.start()
        assert all(r.is_revoked({"consent_id": "early"}) for r in replicas)
        assert all(r.staleness(time.time()) == 0 for r in replicas)

        # Published while they run: pub/sub delivers it to each.
        await publisher.publish([("jti:abc", later), ("mandate:m1", later)])
        await until(lambda: all("jti:abc" in r and "mandate:m1" in r for r in replicas))
        assert replicas[1].is_revoked({"jti": "abc"})
        assert replicas[0].is_revoked({"jti": "x", "mandate_id": "m1"})
        assert not replicas[0].is_revoked({"jti": "fresh", "consent_id": "other"})
        for feed in feeds:
            await feed.stop()
    finally:
        await publisher.close()
        client = redis.Redis.from_url(REDIS_URL)
        await client.delete(set_key)
        await client.aclose()
        await engine.dispose()


async def test_a_feed_that_cannot_reach_redis_leaves_the_list_stale() -> None:
    revoked = RevocationList(CLAIMS)
    feed = RedisRevocationFeed(revoked, "redis://127.0.0.1:9/0", "c", "s", ready_timeout=0.2)
    await feed.start()
    assert revoked.staleness(time.time()) == math.inf
    await feed.stop()


async def test_the_poll_query_returns_what_still_matters_since_a_time(tmp_path: Path) -> None:
    engine = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'auth.sqlite3'}")
    publisher = RevocationPublisher(engine)
    now = int(time.time())
    try:
        await publisher.publish([("jti:gone", now - 1), ("consent:c1", now + 600)])
        assert await revocations_since(engine, 0) == [
            {"key": "consent:c1", "expires_at": now + 600}
        ]
        assert await revocations_since(engine, now + 5) == []
    finally:
        await engine.dispose()


def test_keys_follow_the_configured_claims_and_expire() -> None:
    revoked = RevocationList(CLAIMS)
    revoked.add("jti:old", time.time() - 1)
    revoked.add("consent:c", time.time() + 60)
    revoked.prune(time.time())
    assert len(revoked) == 1
    assert revoked.is_revoked({"jti": "x", "consent_id": "c"})
    assert not revoked.is_revoked({"jti": "old"})
    # A claim the configuration does not name revokes nothing.
    assert not RevocationList({"jti": "jti"}).is_revoked({"consent_id": "c"})
