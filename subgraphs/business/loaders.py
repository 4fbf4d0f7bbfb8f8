"""The business register's per-request loaders: one query per batch of people or companies."""

from __future__ import annotations

import sqlite3

from aiodataloader import DataLoader

from subgraphs.business import store
from subgraphs.common.batching import rows_loader
from subgraphs.common.db import Database


class BusinessLoaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.roles: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.roles)
        self.events: DataLoader[str, list[sqlite3.Row]] = rows_loader(
            db, store.events, key_column="business_id"
        )
