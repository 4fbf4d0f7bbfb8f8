"""The deterministic synthetic population every agency's register is seeded from.

    build_world(citizens)        people, families, homes, jobs, studies, businesses
        └─ _records.<agency>()   that agency's rows only, derived from the one world
              └─ write_database  one SQLite file per agency, one transaction each

`seed_if_missing` is what the launcher calls; `python -m subgraphs.seed` is the CLI.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from subgraphs.business.store import SCHEMA as BUSINESS_SCHEMA
from subgraphs.common.db import database_path
from subgraphs.population.store import SCHEMA as POPULATION_SCHEMA
from subgraphs.seed import _records
from subgraphs.seed._records import Table
from subgraphs.seed._world import AS_OF, RANDOM_SEED, World, build_world
from subgraphs.seed._write import read_seed_info, write_database
from subgraphs.social_insurance.store import SCHEMA as SOCIAL_INSURANCE_SCHEMA
from subgraphs.tax.store import SCHEMA as TAX_SCHEMA
from subgraphs.transport.store import SCHEMA as TRANSPORT_SCHEMA

__all__ = [
    "AGENCIES",
    "AS_OF",
    "RANDOM_SEED",
    "SeedMismatch",
    "demo_personal_id",
    "seed",
    "seed_if_missing",
]

# Bump when the generated data changes shape, so old data directories are not mixed in.
SEED_VERSION = "1"

# The agencies with a register of their own (life_events derives everything), each with its
# tables' DDL and the function giving its rows.
_AGENCIES: dict[str, tuple[str, Callable[[World], list[Table]]]] = {
    "population": (POPULATION_SCHEMA, _records.population),
    "tax": (TAX_SCHEMA, _records.tax),
    "social_insurance": (SOCIAL_INSURANCE_SCHEMA, _records.social_insurance),
    "transport": (TRANSPORT_SCHEMA, _records.transport),
    "business": (BUSINESS_SCHEMA, _records.business),
}
AGENCIES: tuple[str, ...] = tuple(_AGENCIES)


class SeedMismatch(Exception):
    """Some registers exist but were seeded differently; mixing them would be inconsistent."""


def _info(citizens: int) -> dict[str, str]:
    return {
        "version": SEED_VERSION,
        "citizens": str(citizens),
        "random_seed": str(RANDOM_SEED),
        "as_of": AS_OF.isoformat(),
    }


def seed(
    data_dir: Path, citizens: int = 1000, agencies: Iterable[str] = AGENCIES
) -> dict[str, float]:
    """Write the given agencies' registers, replacing any; return seconds per stage."""
    assert citizens > 0, "a population has at least one citizen"
    data_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    world = build_world(citizens)
    timings["world"] = time.perf_counter() - started
    for agency in agencies:
        schema, records = _AGENCIES[agency]
        started = time.perf_counter()
        write_database(database_path(data_dir, agency), schema, records(world), _info(citizens))
        timings[agency] = time.perf_counter() - started
    return timings


def seed_if_missing(data_dir: Path, citizens: int = 1000) -> None:
    """Seed the registers that don't exist yet, if the existing ones match this seed."""
    paths = {agency: database_path(data_dir, agency) for agency in AGENCIES}
    missing = [agency for agency, path in paths.items() if not path.exists()]
    if not missing:
        return
    expected = _info(citizens)
    for agency, path in paths.items():
        if agency not in missing and read_seed_info(path) != expected:
            raise SeedMismatch(
                f"{path} was seeded differently (want {expected}); delete {data_dir} or "
                f"reseed all registers with `python -m subgraphs.seed --data-dir {data_dir} "
                f"--citizens {citizens}`"
            )
    seed(data_dir, citizens, missing)


def demo_personal_id(data_dir: Path) -> str | None:
    """The richest life to explore first: the parent of the most recently born child to whom
    social insurance granted its child benefit without anyone applying, and who has earned
    income (what a platform asks for first); the nearest to that the seed holds otherwise."""
    path = database_path(data_dir, "population")
    if not path.exists():
        return None
    with contextlib.closing(sqlite3.connect(path)) as connection:
        parents = connection.execute(
            "SELECT pc.parent_id, pc.child_id FROM parent_child pc JOIN person child"
            " ON child.personal_id = pc.child_id"
            " ORDER BY child.date_of_birth DESC, pc.parent_id LIMIT 500"
        ).fetchall()
    if not parents:
        return None
    granted = _rows(
        database_path(data_dir, "social_insurance"),
        "SELECT personal_id, concerns_id FROM benefit"
        " WHERE kind = 'CHILD_BENEFIT' AND status = 'GRANTED'",
    )
    earners = {
        row[0]
        for row in _rows(database_path(data_dir, "tax"), "SELECT DISTINCT personal_id FROM income")
    }
    ranked = sorted(
        enumerate(parents),
        key=lambda item: (
            (item[1][0], item[1][1]) not in granted,
            item[1][0] not in earners,
            item[0],
        ),
    )
    return str(ranked[0][1][0])


def _rows(path: Path, query: str) -> set[tuple[str, ...]]:
    if not path.exists():
        return set()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {tuple(row) for row in connection.execute(query)}
