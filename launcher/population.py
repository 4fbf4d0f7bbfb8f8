"""The population register as the authorization server reads it on one machine.

Guardianship and the test sign-in need people and parent-child links. With every service on
one machine the launcher copies them from the population register's database into the file
`auth.population.SqlitePopulationRegister` reads, rather than giving auth a service identity
to query the register with (which does not exist yet). Parents are recorded as guardians of
all their children; auth itself decides who is still a minor.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from datetime import date
from pathlib import Path

from auth.population import Person, write_population_file
from subgraphs.common.db import database_path

AUTH_POPULATION_FILE = "auth-population.sqlite3"


def write_auth_population(data_dir: Path) -> Path:
    """Write (or refresh, when the register changed) auth's copy; return its path."""
    register = database_path(data_dir, "population")
    target = data_dir / AUTH_POPULATION_FILE
    if target.exists() and target.stat().st_mtime >= register.stat().st_mtime:
        return target
    with contextlib.closing(sqlite3.connect(f"file:{register}?mode=ro", uri=True)) as source:
        people = [
            Person(personal_id, given, family, date.fromisoformat(born) if born else None)
            for personal_id, given, family, born in source.execute(
                "SELECT personal_id, given_name, family_name, date_of_birth FROM person"
            )
        ]
        links = source.execute("SELECT parent_id, child_id FROM parent_child").fetchall()
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    write_population_file(partial, people, links)
    partial.replace(target)
    return target


def main(argv: list[str]) -> int:
    """`python -m launcher.population DATA_DIR`: the same copy for a container set-up, written
    next to the register in the volume they share."""
    if len(argv) != 1:
        print("usage: python -m launcher.population DATA_DIR", file=sys.stderr)
        return 2
    print(write_auth_population(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
