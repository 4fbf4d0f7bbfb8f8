"""Social insurance's per-request loaders: one query per batch of citizens or benefits."""

from __future__ import annotations

import sqlite3

from aiodataloader import DataLoader

from subgraphs.common.batching import rows_loader
from subgraphs.common.db import Database
from subgraphs.social_insurance import store


class SocialInsuranceLoaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.benefits: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.benefits)
        self.payments: DataLoader[str, list[sqlite3.Row]] = rows_loader(
            db, store.payments, key_column="benefit_id"
        )
        self.studies: DataLoader[str, list[sqlite3.Row]] = rows_loader(db, store.studies)
