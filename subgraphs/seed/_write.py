"""Writing one agency's SQLite file fast and all at once.

The file is built under a temporary name with journaling off (a failed seed is simply
rerun) in one transaction of `executemany` calls, then renamed into place: an agency
never sees a half-written register, and the file's existence means it is complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from subgraphs.common.db import connect
from subgraphs.seed._records import Table

SEED_INFO = """
CREATE TABLE seed_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


def write_database(
    path: Path, schema: str, tables: Iterable[Table], info: Mapping[str, str]
) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = connect(partial, create=True)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript(schema + SEED_INFO)
        connection.execute("BEGIN")
        for table in tables:
            connection.executemany(table.insert_sql, table.rows)
        connection.executemany("INSERT INTO seed_info VALUES (?, ?)", sorted(info.items()))
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    os.replace(partial, path)


def read_seed_info(path: Path) -> dict[str, str]:
    connection = connect(path)
    try:
        rows = connection.execute("SELECT key, value FROM seed_info").fetchall()
    except Exception:  # a file without seed_info was not made by this seed
        return {}
    finally:
        connection.close()
    return {str(row["key"]): str(row["value"]) for row in rows}
