"""The business register's tables and the SQL that reads them."""

from __future__ import annotations

import sqlite3

from subgraphs.common.db import Database, json_keys

SCHEMA = """
CREATE TABLE company (
    business_id   TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    form          TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    dissolved_on  TEXT
) WITHOUT ROWID;
CREATE TABLE company_role (
    personal_id TEXT NOT NULL,
    business_id TEXT NOT NULL REFERENCES company,
    role        TEXT NOT NULL,
    since       TEXT NOT NULL,
    until       TEXT
);
CREATE INDEX company_role_by_person ON company_role (personal_id);
CREATE TABLE business_event (
    business_id TEXT NOT NULL REFERENCES company,
    kind        TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX business_event_by_company ON business_event (business_id, occurred_on);
"""


async def roles(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    """Each person's roles with their company's record, newest role first."""
    return await db.fetch_all(
        "SELECT r.personal_id, r.role, r.since, r.until, c.business_id, c.name, c.form, "
        "c.registered_on, c.dissolved_on FROM company_role r "
        "JOIN company c ON c.business_id = r.business_id "
        "WHERE r.personal_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY r.personal_id, r.since DESC",
        (json_keys(ids),),
    )


async def events(db: Database, business_ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT business_id, kind, occurred_on, description FROM business_event "
        "WHERE business_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY business_id, occurred_on DESC",
        (json_keys(business_ids),),
    )
