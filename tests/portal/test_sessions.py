"""The server-side session store: only hashes of ids on disk, expiry, rotation, deletion."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from portal.sessions import SessionStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SessionStore]:
    sessions = SessionStore(tmp_path / "sessions.sqlite3", ttl=100)
    await sessions.open()
    yield sessions
    await sessions.close()


async def test_a_saved_session_loads_by_its_id_and_the_file_holds_no_id_or_token(
    store: SessionStore, tmp_path: Path
) -> None:
    session = store.new()
    session.set("tokens", {"access_token": "secret-access-token"})
    await store.save(session, now=1000)
    loaded = await store.load(session.id, now=1050)
    assert loaded is not None and loaded.data == {"tokens": {"access_token": "secret-access-token"}}
    rows = sqlite3.connect(tmp_path / "sessions.sqlite3").execute("SELECT id_hash FROM sessions")
    assert [row[0] for row in rows] != [session.id]
    assert (tmp_path / "sessions.sqlite3").stat().st_mode & 0o077 == 0


async def test_sessions_expire_unless_used(store: SessionStore) -> None:
    session = store.new()
    await store.save(session, now=1000)
    assert await store.load(session.id, now=1101) is None
    await store.touch(session, now=1090)
    assert await store.load(session.id, now=1150) is not None
    assert await store.purge(now=1191) == 1
    assert await store.load(session.id, now=1000) is None


async def test_rotation_forgets_the_old_id(store: SessionStore) -> None:
    session = store.new()
    session.set("lang", "fi")
    await store.save(session)
    old = session.id
    await store.rotate(session)
    await store.save(session)
    assert session.id != old
    assert await store.load(old) is None
    rotated = await store.load(session.id)
    assert rotated is not None and rotated.get("lang") == "fi"


async def test_a_deleted_session_is_gone_and_unknown_ids_load_nothing(store: SessionStore) -> None:
    session = store.new()
    await store.save(session)
    await store.delete(session)
    assert session.ended
    assert await store.load(session.id) is None
    assert await store.load("") is None
    assert await store.load("never-issued") is None
