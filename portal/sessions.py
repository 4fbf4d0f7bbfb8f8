"""The server-side session store: SQLite in the portal's data dir, keyed by the hash of an
opaque random id. The browser holds only that id (a cookie); tokens never leave the server.

    cookie portal_session=<id>  ─▶  sessions(id_hash = sha256(id), data JSON, expires_at)

A session expires after `ttl` seconds without use; its id is rotated at sign-in (a fixated
id is worth nothing) and deleted at sign-out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
)
"""


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class Session:
    """One browser's session: `data` is plain JSON; `changed` says it must be written back."""

    id: str
    data: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    ended: bool = False

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.changed = True

    def pop(self, key: str) -> Any:
        self.changed = self.changed or key in self.data
        return self.data.pop(key, None)


class SessionStore:
    def __init__(self, path: Path, ttl: int) -> None:
        self.path = path
        self.ttl = ttl
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute(_SCHEMA)
        await self._db.commit()
        self.path.chmod(0o600)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        assert self._db is not None, "SessionStore.open() was not called"
        return self._db

    def new(self) -> Session:
        """A fresh session, written when something is stored in it."""
        return Session(secrets.token_urlsafe(32), changed=True)

    async def load(self, session_id: str | None, now: float | None = None) -> Session | None:
        if not session_id:
            return None
        now = time.time() if now is None else now
        async with self.db.execute(
            "SELECT data FROM sessions WHERE id_hash = ? AND expires_at > ?",
            (_hash(session_id), int(now)),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return Session(session_id, json.loads(row[0]))

    async def save(self, session: Session, now: float | None = None) -> None:
        now = time.time() if now is None else now
        await self.db.execute(
            "INSERT INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT(id_hash) DO UPDATE SET data = excluded.data, "
            "expires_at = excluded.expires_at",
            (_hash(session.id), json.dumps(session.data), int(now) + self.ttl),
        )
        await self.db.commit()
        session.changed = False

    async def touch(self, session: Session, now: float | None = None) -> None:
        """Use extends the session's life without rewriting it."""
        now = time.time() if now is None else now
        await self.db.execute(
            "UPDATE sessions SET expires_at = ? WHERE id_hash = ?",
            (int(now) + self.ttl, _hash(session.id)),
        )
        await self.db.commit()

    async def rotate(self, session: Session) -> None:
        """Give the session a new id and forget the old one."""
        await self.delete(session)
        session.id = secrets.token_urlsafe(32)
        session.ended = False
        session.changed = True

    async def delete(self, session: Session) -> None:
        await self.db.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session.id),))
        await self.db.commit()
        session.ended = True

    async def purge(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        cursor = await self.db.execute("DELETE FROM sessions WHERE expires_at <= ?", (int(now),))
        await self.db.commit()
        return cursor.rowcount
