"""The transport agency's tables and the SQL that reads them."""

from __future__ import annotations

import sqlite3

from subgraphs.common.db import Database, json_keys

SCHEMA = """
CREATE TABLE driving_licence (
    personal_id TEXT PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    classes     TEXT NOT NULL,  -- comma-separated, e.g. 'AM,B'
    issued_on   TEXT NOT NULL,
    valid_until TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE vehicle (
    registration     TEXT PRIMARY KEY,
    personal_id      TEXT NOT NULL,
    role             TEXT NOT NULL,
    make             TEXT NOT NULL,
    model            TEXT NOT NULL,
    model_year       INTEGER NOT NULL,
    first_registered TEXT NOT NULL,
    inspection_due   TEXT
) WITHOUT ROWID;
CREATE INDEX vehicle_by_person ON vehicle (personal_id);
"""


async def driving_licences(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, number, classes, issued_on, valid_until FROM driving_licence "
        "WHERE personal_id IN (SELECT value FROM json_each(?))",
        (json_keys(ids),),
    )


async def vehicles(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT personal_id, registration, role, make, model, model_year, first_registered, "
        "inspection_due FROM vehicle WHERE personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY personal_id, first_registered DESC",
        (json_keys(ids),),
    )
