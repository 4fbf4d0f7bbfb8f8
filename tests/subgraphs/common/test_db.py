from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from subgraphs.common.db import Database, connect
from subgraphs.common.settings import ConfigurationError


def test_a_missing_register_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"python -m subgraphs\.seed"):
        Database(tmp_path / "population.sqlite3")
    assert not (tmp_path / "population.sqlite3").exists()


async def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    connect(path, create=True).executescript("CREATE TABLE t (v INTEGER)")
    database = Database(path)

    def half_then_fail(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO t VALUES (1)")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await database.write(half_then_fail)
    assert [tuple(r) for r in await database.fetch_all("SELECT v FROM t")] == []
    await database.write(lambda connection: connection.execute("INSERT INTO t VALUES (2)"))
    assert [tuple(r) for r in await database.fetch_all("SELECT v FROM t")] == [(2,)]
    assert database.queries == 4
    database.close()
