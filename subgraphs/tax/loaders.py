"""The tax administration's per-request loaders: one query per batch of citizens."""

from __future__ import annotations

import sqlite3

from aiodataloader import DataLoader

from subgraphs.common.batching import row_loader, rows_loader
from subgraphs.common.db import Database
from subgraphs.tax import store


class TaxLoaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Every year at once: a citizen has a handful of rows, and `income(year:)` with
        # different years in one request still costs one query.
        self.incomes: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.incomes)
        self.employments: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.employments)
        self.decisions: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.tax_decisions)
        self.tax_card: DataLoader[str, sqlite3.Row | None] = row_loader(db, store.tax_cards)
