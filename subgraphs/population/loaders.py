"""The population register's per-request loaders: one query per batch of people."""

from __future__ import annotations

import asyncio
import sqlite3

from aiodataloader import DataLoader

from subgraphs.common.batching import group_by, loader, one_by
from subgraphs.common.db import Database
from subgraphs.population import store
from subgraphs.population.store import AddressRecord, PersonRecord


class PopulationLoaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.person: DataLoader[str, PersonRecord | None] = loader(self._persons)
        self.addresses: DataLoader[str, list[AddressRecord]] = loader(self._addresses)
        self.children: DataLoader[str, list[PersonRecord]] = loader(self._children)
        self.parents: DataLoader[str, list[PersonRecord]] = loader(self._parents)
        self.spouse: DataLoader[str, PersonRecord | None] = loader(self._spouses)

    async def relatives_of(self, ids: list[str]) -> set[str]:
        """Everyone who is a parent, child or spouse of one of `ids`, by the register."""
        parents, children, spouses = await asyncio.gather(
            self.parents.load_many(ids), self.children.load_many(ids), self.spouse.load_many(ids)
        )
        records = [r for group in (*parents, *children) for r in group]
        records += [spouse for spouse in spouses if spouse is not None]
        return {record.personal_id for record in records}

    async def _persons(self, ids: list[str]) -> list[PersonRecord | None]:
        rows = await store.persons(self.db, ids)
        found = one_by(ids, rows, lambda row: str(row["personal_id"]))
        return [PersonRecord.from_row(row) if row is not None else None for row in found]

    async def _addresses(self, ids: list[str]) -> list[list[AddressRecord]]:
        rows = await store.addresses(self.db, ids)
        groups = group_by(ids, rows, lambda row: str(row["personal_id"]))
        return [[AddressRecord.from_row(row) for row in group] for group in groups]

    def _relatives(self, rows: list[sqlite3.Row]) -> dict[str, list[PersonRecord]]:
        # The relatives' own records come with the join; priming saves a query per level
        # when a client asks for their names.
        by_key: dict[str, list[PersonRecord]] = {}
        for row in rows:
            record = PersonRecord.from_row(row)
            self.person.prime(record.personal_id, record)
            by_key.setdefault(row["key"], []).append(record)
        return by_key

    async def _children(self, ids: list[str]) -> list[list[PersonRecord]]:
        by_parent = self._relatives(await store.children(self.db, ids))
        return [by_parent.get(personal_id, []) for personal_id in ids]

    async def _parents(self, ids: list[str]) -> list[list[PersonRecord]]:
        by_child = self._relatives(await store.parents(self.db, ids))
        return [by_child.get(personal_id, []) for personal_id in ids]

    async def _spouses(self, ids: list[str]) -> list[PersonRecord | None]:
        by_person = self._relatives(await store.spouses(self.db, ids))
        return [next(iter(by_person.get(personal_id, [])), None) for personal_id in ids]
