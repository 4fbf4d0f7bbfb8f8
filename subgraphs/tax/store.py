"""The tax administration's tables and the SQL that reads and changes them."""

from __future__ import annotations

import sqlite3
from datetime import date

from subgraphs.common.db import Database, json_keys

SCHEMA = """
-- The income register: every payment a payer reported, summed per year, source and payer.
CREATE TABLE income (
    personal_id  TEXT NOT NULL,
    year         INTEGER NOT NULL,
    source       TEXT NOT NULL,
    payer        TEXT NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE INDEX income_by_person ON income (personal_id, year);
-- Employers report employments to the income register; their ends are how job losses show.
CREATE TABLE employment (
    personal_id TEXT NOT NULL,
    employer    TEXT NOT NULL,
    started_on  TEXT NOT NULL,
    ended_on    TEXT
);
CREATE INDEX employment_by_person ON employment (personal_id);
CREATE TABLE tax_decision (
    id           INTEGER PRIMARY KEY,
    personal_id  TEXT NOT NULL,
    year         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    issued_on    TEXT NOT NULL,
    due_by       TEXT
);
CREATE INDEX tax_decision_by_person ON tax_decision (personal_id, year);
CREATE TABLE tax_card (
    personal_id  TEXT PRIMARY KEY,
    rate_percent REAL NOT NULL,
    valid_from   TEXT NOT NULL,
    reason       TEXT NOT NULL
) WITHOUT ROWID;
"""


async def incomes(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, year, source, payer, amount_cents FROM income "
        "WHERE personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY personal_id, year DESC, source, payer",
        (json_keys(ids),),
    )


async def employments(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, employer, started_on, ended_on FROM employment "
        "WHERE personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY personal_id, started_on DESC",
        (json_keys(ids),),
    )


async def tax_decisions(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, year, kind, amount_cents, issued_on, due_by FROM tax_decision "
        "WHERE personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY personal_id, year DESC, id",
        (json_keys(ids),),
    )


async def tax_cards(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, rate_percent, valid_from, reason FROM tax_card "
        "WHERE personal_id IN (SELECT value FROM json_each(?))",
        (json_keys(ids),),
    )


def replace_tax_card(
    connection: sqlite3.Connection, personal_id: str, rate: float, valid_from: date, reason: str
) -> None:
    connection.execute(
        "INSERT INTO tax_card (personal_id, rate_percent, valid_from, reason) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (personal_id) DO UPDATE SET "
        "rate_percent = excluded.rate_percent, valid_from = excluded.valid_from, "
        "reason = excluded.reason",
        (personal_id, rate, valid_from.isoformat(), reason),
    )
