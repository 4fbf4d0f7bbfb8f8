"""Per-request batching: every key asked for in one tick of the event loop costs one query.

A loader is built per request (its cache must not outlive the request's view of the data) from
an async function that answers a whole list of keys, in order, with one query.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

from aiodataloader import DataLoader

from subgraphs.common.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")

# Keeps `IN (json_each(?))` lists and result sets modest when a gateway sends huge batches.
MAX_BATCH_SIZE = 1000


def loader(load_many: Callable[[list[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
    async def batch_load_fn(keys: list[K]) -> list[V]:
        return await load_many(keys)

    return DataLoader(batch_load_fn=batch_load_fn, max_batch_size=MAX_BATCH_SIZE)


def group_by(keys: Iterable[K], rows: Iterable[R], key_of: Callable[[R], K]) -> list[list[R]]:
    """Rows grouped per key, in the order of `keys`; a key without rows gets an empty list."""
    groups: defaultdict[K, list[R]] = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    return [groups.get(key, []) for key in keys]


def one_by(keys: Iterable[K], rows: Iterable[R], key_of: Callable[[R], K]) -> list[R | None]:
    """The row per key, in the order of `keys`; a key without a row gets None."""
    found = {key_of(row): row for row in rows}
    return [found.get(key) for key in keys]


RowsQuery = Callable[[Database, list[str]], Awaitable[list[sqlite3.Row]]]


def rows_loader(
    db: Database, query: RowsQuery, key_column: str = "personal_id"
) -> DataLoader[str, list[sqlite3.Row]]:
    """Every row `query` returns for each key, in query order; one query per batch."""

    async def load(keys: list[str]) -> list[list[sqlite3.Row]]:
        return group_by(keys, await query(db, keys), lambda row: str(row[key_column]))

    return loader(load)


def row_loader(
    db: Database, query: RowsQuery, key_column: str = "personal_id"
) -> DataLoader[str, sqlite3.Row | None]:
    """The one row `query` returns for each key, or None; one query per batch."""

    async def load(keys: list[str]) -> list[sqlite3.Row | None]:
        return one_by(keys, await query(db, keys), lambda row: str(row[key_column]))

    return loader(load)
