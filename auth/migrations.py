"""Versioned schema migrations, the same steps for SQLite and PostgreSQL.

Each migration is a function of a synchronous connection, run inside one transaction and
recorded in `schema_migrations`. Append new ones; never edit one that has shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from auth import tables


def _initial(connection: Connection) -> None:
    for table in tables.metadata.sorted_tables:
        if table.name != "schema_migrations":
            table.create(connection)


def _dpop_bindings(connection: Connection) -> None:
    # A database made by `_initial` from today's tables has the columns already.
    for table in (tables.authorization_codes, tables.tokens):
        present = {column["name"] for column in inspect(connection).get_columns(table.name)}
        if "dpop_jkt" not in present:
            connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN dpop_jkt VARCHAR(64)"))


def _pushed_requests_and_used_identifiers(connection: Connection) -> None:
    # A database made after these tables joined the metadata already has them (_initial).
    tables.pushed_authorization_requests.create(connection, checkfirst=True)
    tables.used_identifiers.create(connection, checkfirst=True)


def _access_token_hash(connection: Connection) -> None:
    # A database made by `_initial` from today's tables has the column already.
    if "access_token_hash" in {c["name"] for c in inspect(connection).get_columns("tokens")}:
        return
    connection.execute(text("ALTER TABLE tokens ADD COLUMN access_token_hash VARCHAR(64)"))
    connection.execute(
        text("CREATE UNIQUE INDEX ix_tokens_access_token ON tokens (access_token_hash)")
    )


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _initial),
    (2, "DPoP key bindings of codes and tokens", _dpop_bindings),
    (3, "pushed authorization requests, used identifiers", _pushed_requests_and_used_identifiers),
    (4, "tokens.access_token_hash: sealed access tokens are found by hash", _access_token_hash),
]


def migrate(connection: Connection) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    tables.schema_migrations.create(connection, checkfirst=True)
    done = set(connection.scalars(select(tables.schema_migrations.c.version)))
    applied = []
    for version, name, step in MIGRATIONS:
        if version in done:
            continue
        step(connection)
        connection.execute(
            tables.schema_migrations.insert().values(
                version=version, name=name, applied_at=int(time.time())
            )
        )
        applied.append(version)
    return applied
