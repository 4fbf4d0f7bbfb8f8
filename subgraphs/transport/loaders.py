"""The transport agency's per-request loaders: one query per batch of citizens."""

from __future__ import annotations

import sqlite3

from aiodataloader import DataLoader

from subgraphs.common.batching import row_loader, rows_loader
from subgraphs.common.db import Database
from subgraphs.transport import store


class TransportLoaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.licence: DataLoader[str, sqlite3.Row | None] = row_loader(db, store.driving_licences)
        self.vehicles: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.vehicles)
