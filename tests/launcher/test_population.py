"""The launcher's copy of the population register for auth: every person, and parents as
guardians of their children, read back through auth's own register."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from auth.population import SqlitePopulationRegister
from launcher.population import main as population_main
from launcher.population import write_auth_population
from subgraphs.seed import seed


def test_auth_reads_people_and_guardianships_from_the_copy(tmp_path: Path) -> None:
    seed(tmp_path, citizens=200)
    path = write_auth_population(tmp_path)
    register_file = tmp_path / "population.sqlite3"
    with sqlite3.connect(register_file) as connection:
        people = connection.execute("SELECT count(*) FROM person").fetchone()[0]
        parent, child = connection.execute(
            "SELECT parent_id, child_id FROM parent_child ORDER BY child_id LIMIT 1"
        ).fetchone()
    register = SqlitePopulationRegister(path)
    listed = asyncio.run(register.test_citizens(limit=10_000))
    assert len(listed) == people
    wards = asyncio.run(register.wards_of(parent))
    assert child in {ward.personal_id for ward in wards}
    # a second call finds the copy current and leaves it alone
    before = path.stat().st_mtime_ns
    assert write_auth_population(tmp_path) == path
    assert path.stat().st_mtime_ns == before


def test_the_container_step_writes_the_copy_next_to_the_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(tmp_path, citizens=30)
    assert population_main([str(tmp_path)]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written == tmp_path / "auth-population.sqlite3" and written.exists()
    assert population_main([]) == 2
