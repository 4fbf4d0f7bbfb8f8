"""Revocation fan-out through the real Redis: subscribe + set, and catching up on start."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import redis.asyncio as redis

from auth.db import open_database
from auth.revocation import RedisRevocationFeed, RevocationList, RevocationPublisher, token_keys
from tests.auth.conftest import REDIS_URL


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
        replicas = [RevocationList(), RevocationList()]
        feeds = [RedisRevocationFeed(r, REDIS_URL, channel, set_key) for r in replicas]
        for feed in feeds:
            await feed.start()
        assert all(r.is_revoked({"consent_id": "early"}) for r in replicas)

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


def test_keys_and_pruning() -> None:
    assert token_keys({"jti": "j", "consent_id": "c", "mandate_id": "m"}) == [
        "jti:j",
        "consent:c",
        "mandate:m",
    ]
    revoked = RevocationList()
    revoked.add("jti:old", int(time.time()) - 1)
    revoked.add("jti:new", int(time.time()) + 60)
    revoked.prune()
    assert len(revoked) == 1 and "jti:new" in revoked
