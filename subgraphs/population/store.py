"""The population register's tables and the SQL that reads and changes them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from subgraphs.common.db import Database, json_keys

SCHEMA = """
CREATE TABLE person (
    personal_id   TEXT PRIMARY KEY,
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    sex           TEXT NOT NULL,
    nationality   TEXT NOT NULL,
    date_of_death TEXT
) WITHOUT ROWID;
-- Every address a person has had; the current one is the latest `since`.
CREATE TABLE address (
    id           INTEGER PRIMARY KEY,
    personal_id  TEXT NOT NULL REFERENCES person,
    street       TEXT NOT NULL,
    postcode     TEXT NOT NULL,
    city         TEXT NOT NULL,
    municipality TEXT NOT NULL,
    since        TEXT NOT NULL
);
CREATE INDEX address_by_person ON address (personal_id, since);
CREATE TABLE parent_child (
    parent_id TEXT NOT NULL REFERENCES person,
    child_id  TEXT NOT NULL REFERENCES person,
    PRIMARY KEY (parent_id, child_id)
) WITHOUT ROWID;
CREATE INDEX parent_child_by_child ON parent_child (child_id, parent_id);
-- Stored in both directions so a lookup is one index range; a widow keeps the late spouse.
CREATE TABLE marriage (
    personal_id TEXT NOT NULL REFERENCES person,
    spouse_id   TEXT NOT NULL REFERENCES person,
    since       TEXT NOT NULL,
    PRIMARY KEY (personal_id, spouse_id)
) WITHOUT ROWID;
"""

# Guardianship ends, and a child stops moving with their parents, on the 18th birthday.
ADULT_AGE = 18

_PERSON_COLUMNS = (
    "p.personal_id, p.given_name, p.family_name, p.date_of_birth, p.sex, p.nationality, "
    "p.date_of_death"
)


@dataclass(frozen=True)
class PersonRecord:
    personal_id: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    nationality: str
    date_of_death: date | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> PersonRecord:
        death = row["date_of_death"]
        return cls(
            personal_id=row["personal_id"],
            given_name=row["given_name"],
            family_name=row["family_name"],
            date_of_birth=date.fromisoformat(row["date_of_birth"]),
            sex=row["sex"],
            nationality=row["nationality"],
            date_of_death=date.fromisoformat(death) if death else None,
        )

    def age_on(self, day: date) -> int:
        birth = self.date_of_birth
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))

    def is_living_minor_on(self, day: date) -> bool:
        return self.date_of_death is None and self.age_on(day) < ADULT_AGE


@dataclass(frozen=True)
class AddressRecord:
    street: str
    postcode: str
    city: str
    municipality: str
    since: date

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AddressRecord:
        return cls(
            street=row["street"],
            postcode=row["postcode"],
            city=row["city"],
            municipality=row["municipality"],
            since=date.fromisoformat(row["since"]),
        )

    def same_place(self, other: AddressRecord) -> bool:
        return (self.street, self.postcode, self.city) == (other.street, other.postcode, other.city)


async def persons(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT {_PERSON_COLUMNS} FROM person p "
        "WHERE p.personal_id IN (SELECT value FROM json_each(?))",
        (json_keys(ids),),
    )


async def addresses(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    """Every address of the given people, newest first."""
    return await db.fetch_all(
        "SELECT personal_id, street, postcode, city, municipality, since FROM address "
        "WHERE personal_id IN (SELECT value FROM json_each(?)) ORDER BY personal_id, since DESC",
        (json_keys(ids),),
    )


async def children(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    """The children of the given parents, eldest first, each row keyed by `key` (the parent)."""
    return await db.fetch_all(
        f"SELECT pc.parent_id AS key, {_PERSON_COLUMNS} FROM parent_child pc "
        "JOIN person p ON p.personal_id = pc.child_id "
        "WHERE pc.parent_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY p.date_of_birth, p.personal_id",
        (json_keys(ids),),
    )


async def parents(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT pc.child_id AS key, {_PERSON_COLUMNS} FROM parent_child pc "
        "JOIN person p ON p.personal_id = pc.parent_id "
        "WHERE pc.child_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY p.date_of_birth, p.personal_id",
        (json_keys(ids),),
    )


async def spouses(db: Database, ids: list[str]) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT m.personal_id AS key, {_PERSON_COLUMNS} FROM marriage m "
        "JOIN person p ON p.personal_id = m.spouse_id "
        "WHERE m.personal_id IN (SELECT value FROM json_each(?))",
        (json_keys(ids),),
    )


def current_address(connection: sqlite3.Connection, personal_id: str) -> AddressRecord | None:
    row = connection.execute(
        "SELECT street, postcode, city, municipality, since FROM address "
        "WHERE personal_id = ? ORDER BY since DESC, id DESC LIMIT 1",
        (personal_id,),
    ).fetchone()
    return AddressRecord.from_row(row) if row is not None else None


def person(connection: sqlite3.Connection, personal_id: str) -> PersonRecord | None:
    row = connection.execute(
        f"SELECT {_PERSON_COLUMNS} FROM person p WHERE p.personal_id = ?", (personal_id,)
    ).fetchone()
    return PersonRecord.from_row(row) if row is not None else None


def minor_children_at(
    connection: sqlite3.Connection, parent_id: str, address: AddressRecord, on: date
) -> list[str]:
    """Living children under 18 on `on` whose current address is `address`."""
    rows = connection.execute(
        f"SELECT {_PERSON_COLUMNS} FROM parent_child pc "
        "JOIN person p ON p.personal_id = pc.child_id "
        "WHERE pc.parent_id = ?",
        (parent_id,),
    ).fetchall()
    moving = []
    for row in rows:
        child = PersonRecord.from_row(row)
        if not child.is_living_minor_on(on):
            continue
        home = current_address(connection, child.personal_id)
        if home is not None and home.same_place(address):
            moving.append(child.personal_id)
    return moving


def insert_address(
    connection: sqlite3.Connection, personal_id: str, address: AddressRecord
) -> None:
    connection.execute(
        "INSERT INTO address (personal_id, street, postcode, city, municipality, since) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            personal_id,
            address.street,
            address.postcode,
            address.city,
            address.municipality,
            address.since.isoformat(),
        ),
    )
