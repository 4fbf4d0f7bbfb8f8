"""Opening the auth database: an async engine for SQLite (default) or PostgreSQL, migrated."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from auth.migrations import migrate

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def create_engine(url: str, schema: str = "") -> AsyncEngine:
    """An engine whose connections see the auth tables: for PostgreSQL in `schema`."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        if schema:
            assert _SCHEMA_NAME.match(schema), f"bad PostgreSQL schema name {schema!r}"
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        kwargs["pool_size"] = 10
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the gateway read revocations while this server writes; busy_timeout makes
    # concurrent writers wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def open_database(url: str, schema: str = "") -> AsyncEngine:
    engine = create_engine(url, schema)
    if engine.dialect.name == "postgresql" and schema:
        from sqlalchemy import text

        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            # Two services starting together must not both run the same migration.
            await connection.execute(text("SELECT pg_advisory_xact_lock(727001)"))
        await connection.run_sync(migrate)
    return engine
