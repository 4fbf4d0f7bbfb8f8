"""An agency's own SQLite file: opened once per process, read and written through one connection.

Reads run on the event loop thread. They are indexed lookups in a local file that take tens of
microseconds, less than handing them to a worker thread would; the async signatures let a
networked store replace this class without touching a resolver. A write runs as one function in
one `BEGIN IMMEDIATE` transaction with no await inside, so no other request interleaves with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from subgraphs.common.settings import ENV_PREFIX, ConfigurationError

T = TypeVar("T")
Params = Sequence[Any]


def database_path(data_dir: Path, agency: str) -> Path:
    return data_dir / f"{agency}.sqlite3"


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    # Autocommit mode: transactions are opened explicitly, so none is left open by a read.
    mode = "rwc" if create else "rw"
    connection = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode={mode}",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
    )
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


class Database:
    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise ConfigurationError(
                f"{path} does not exist; seed it with `python -m subgraphs.seed --data-dir "
                f"{path.parent}` or point {ENV_PREFIX}DATA_DIR at a seeded directory"
            )
        self.path = path
        self._connection = connect(path)
        self._connection.execute("PRAGMA journal_mode = WAL")
        # Counted so tests can prove that a batch costs one query.
        self.queries = 0

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        self.queries += 1
        return self._connection.execute(sql, params).fetchall()

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        self.queries += 1
        row: sqlite3.Row | None = self._connection.execute(sql, params).fetchone()
        return row

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one transaction; an exception from it rolls everything back."""
        self.queries += 1
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return result

    def ping(self) -> bool:
        try:
            self._connection.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        self._connection.close()


def json_keys(keys: Sequence[object]) -> str:
    """Keys for `IN (SELECT value FROM json_each(?))`: one parameter, one cached statement."""
    return json.dumps(list(keys))
