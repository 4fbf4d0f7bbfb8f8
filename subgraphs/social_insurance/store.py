"""Social insurance's tables and the SQL that reads and changes them."""

from __future__ import annotations

import sqlite3
from datetime import date

from subgraphs.common.db import Database, json_keys

SCHEMA = """
-- One row per application; its decision, amount and validity are filled in when decided.
CREATE TABLE benefit (
    id                   INTEGER PRIMARY KEY,
    personal_id          TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    concerns_id          TEXT,
    applied_on           TEXT NOT NULL,
    decided_on           TEXT,
    decision_explanation TEXT,
    monthly_cents        INTEGER,
    valid_from           TEXT,
    valid_until          TEXT
);
CREATE INDEX benefit_by_person ON benefit (personal_id, kind);
CREATE TABLE payment (
    benefit_id   INTEGER NOT NULL REFERENCES benefit,
    paid_on      TEXT NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE INDEX payment_by_benefit ON payment (benefit_id, paid_on);
-- Educational institutions report study rights here, because student aid depends on them.
CREATE TABLE study (
    personal_id TEXT NOT NULL,
    institution TEXT NOT NULL,
    started_on  TEXT NOT NULL,
    ended_on    TEXT
);
CREATE INDEX study_by_person ON study (personal_id);
"""

_BENEFIT_COLUMNS = (
    "id, personal_id, kind, status, concerns_id, applied_on, decided_on, decision_explanation, "
    "monthly_cents, valid_from, valid_until"
)


async def benefits(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT {_BENEFIT_COLUMNS} FROM benefit "
        "WHERE personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY personal_id, applied_on DESC, id DESC",
        (json_keys(ids),),
    )


async def payments(db: Database, benefit_ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT CAST(benefit_id AS TEXT) AS benefit_id, paid_on, amount_cents FROM payment "
        "WHERE benefit_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) "
        "ORDER BY benefit_id, paid_on DESC",
        (json_keys(benefit_ids),),
    )


async def studies(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, institution, started_on, ended_on FROM study "
        "WHERE personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY personal_id, started_on DESC",
        (json_keys(ids),),
    )


def open_benefit(
    connection: sqlite3.Connection, personal_id: str, kind: str, concerns_id: str | None, on: date
) -> sqlite3.Row | None:
    """An application still being handled, or a grant still running on `on`."""
    row: sqlite3.Row | None = connection.execute(
        f"SELECT {_BENEFIT_COLUMNS} FROM benefit "
        "WHERE personal_id = ? AND kind = ? AND concerns_id IS ? "
        "AND (status = 'APPLIED' OR (status = 'GRANTED' AND "
        "(valid_until IS NULL OR valid_until >= ?)))",
        (personal_id, kind, concerns_id, on.isoformat()),
    ).fetchone()
    return row


def insert_application(
    connection: sqlite3.Connection,
    personal_id: str,
    kind: str,
    concerns_id: str | None,
    applied_on: date,
    starts_on: date,
) -> sqlite3.Row:
    cursor = connection.execute(
        "INSERT INTO benefit (personal_id, kind, status, concerns_id, applied_on, valid_from) "
        "VALUES (?, ?, 'APPLIED', ?, ?, ?)",
        (personal_id, kind, concerns_id, applied_on.isoformat(), starts_on.isoformat()),
    )
    row: sqlite3.Row = connection.execute(
        f"SELECT {_BENEFIT_COLUMNS} FROM benefit WHERE id = ?", (cursor.lastrowid,)
    ).fetchone()
    return row
