from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from subgraphs.seed import AGENCIES, AS_OF, SeedMismatch, seed, seed_if_missing
from tests.subgraphs.conftest import CITIZENS
from tests.subgraphs.helpers import query_db

OWN_TABLES = {
    "population": {"person", "address", "parent_child", "marriage"},
    "tax": {"income", "employment", "tax_decision", "tax_card"},
    "social_insurance": {"benefit", "payment", "study"},
    "transport": {"driving_licence", "vehicle"},
    "business": {"company", "company_role", "business_event"},
}
BOOKKEEPING = {"seed_info", "sqlite_stat1"}


def _dump(directory: Path, agency: str) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(directory / f"{agency}.sqlite3")
    try:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in tables
            if table not in BOOKKEEPING
        }
    finally:
        connection.close()


def _ids(directory: Path, agency: str, sql: str) -> set[str]:
    return {row[0] for row in query_db(directory, agency, sql)}


def test_the_same_citizens_give_the_same_registers(tmp_path: Path) -> None:
    seed(tmp_path / "a", 250)
    seed(tmp_path / "b", 250)
    for agency in AGENCIES:
        assert _dump(tmp_path / "a", agency) == _dump(tmp_path / "b", agency), agency


def test_each_register_holds_only_its_own_tables(seeded_dir: Path) -> None:
    assert sorted(p.name for p in seeded_dir.glob("*.sqlite3")) == sorted(
        f"{agency}.sqlite3" for agency in AGENCIES
    )
    for agency in AGENCIES:
        tables = _ids(seeded_dir, agency, "SELECT name FROM sqlite_master WHERE type = 'table'")
        assert tables - BOOKKEEPING == OWN_TABLES[agency], agency


def test_population_size_and_family_links(seeded_dir: Path) -> None:
    people = {
        row["personal_id"]: row
        for row in query_db(seeded_dir, "population", "SELECT * FROM person")
    }
    assert len(people) == CITIZENS
    for row in query_db(seeded_dir, "population", "SELECT * FROM parent_child"):
        parent, child = people[row["parent_id"]], people[row["child_id"]]
        assert parent["date_of_birth"] < child["date_of_birth"]
        assert (parent["date_of_death"] or "9999") > child["date_of_birth"]
    for row in query_db(seeded_dir, "population", "SELECT * FROM marriage"):
        for pid in (row["personal_id"], row["spouse_id"]):
            assert (people[pid]["date_of_death"] or "9999") > row["since"]
    marriages = {
        (r["personal_id"], r["spouse_id"])
        for r in query_db(seeded_dir, "population", "SELECT * FROM marriage")
    }
    assert marriages == {(b, a) for a, b in marriages}
    late_addresses = query_db(
        seeded_dir,
        "population",
        "SELECT COUNT(*) FROM address a JOIN person p USING (personal_id) "
        "WHERE a.since >= p.date_of_death OR a.since < p.date_of_birth",
    )
    assert late_addresses[0][0] == 0


def test_every_agency_speaks_of_people_in_the_population_register(seeded_dir: Path) -> None:
    people = _ids(seeded_dir, "population", "SELECT personal_id FROM person")
    referenced = {
        "tax": "SELECT personal_id FROM income UNION SELECT personal_id FROM tax_card",
        "social_insurance": "SELECT personal_id FROM benefit UNION "
        "SELECT concerns_id FROM benefit WHERE concerns_id IS NOT NULL",
        "transport": "SELECT personal_id FROM driving_licence UNION "
        "SELECT personal_id FROM vehicle",
        "business": "SELECT personal_id FROM company_role",
    }
    for agency, sql in referenced.items():
        ids = _ids(seeded_dir, agency, sql)
        assert ids and ids <= people, agency


def test_benefits_agree_with_the_population_register(seeded_dir: Path) -> None:
    people = {
        row["personal_id"]: row
        for row in query_db(seeded_dir, "population", "SELECT * FROM person")
    }
    children = {
        (r["parent_id"], r["child_id"])
        for r in query_db(seeded_dir, "population", "SELECT * FROM parent_child")
    }
    spouses = {
        (r["personal_id"], r["spouse_id"])
        for r in query_db(seeded_dir, "population", "SELECT * FROM marriage")
    }
    benefits = query_db(seeded_dir, "social_insurance", "SELECT * FROM benefit")
    kinds = {row["kind"] for row in benefits}
    assert {"CHILD_BENEFIT", "PENSION", "UNEMPLOYMENT_BENEFIT", "STUDENT_AID"} <= kinds
    for row in benefits:
        recipient = people[row["personal_id"]]
        assert recipient["date_of_death"] is None
        if row["kind"] in ("CHILD_BENEFIT", "PARENTAL_ALLOWANCE"):
            assert (row["personal_id"], row["concerns_id"]) in children
        if row["kind"] == "SURVIVORS_PENSION":
            assert (row["personal_id"], row["concerns_id"]) in spouses
            assert people[row["concerns_id"]]["date_of_death"] is not None
        if row["kind"] == "PENSION":
            born = date.fromisoformat(recipient["date_of_birth"])
            assert (AS_OF - born).days >= 65 * 365


def test_licences_and_companies_belong_to_living_adults(seeded_dir: Path) -> None:
    born = {
        r["personal_id"]: (r["date_of_birth"], r["date_of_death"])
        for r in query_db(seeded_dir, "population", "SELECT * FROM person")
    }
    for row in query_db(seeded_dir, "transport", "SELECT * FROM driving_licence"):
        birth, death = born[row["personal_id"]]
        assert death is None
        assert date.fromisoformat(row["issued_on"]).year - date.fromisoformat(birth).year >= 18
    owners = _ids(
        seeded_dir, "business", "SELECT personal_id FROM company_role WHERE role = 'OWNER'"
    )
    assert owners and all(born[pid][1] is None for pid in owners)


def test_seed_if_missing_creates_then_leaves_alone(tmp_path: Path) -> None:
    seed_if_missing(tmp_path, citizens=120)
    files = {agency: tmp_path / f"{agency}.sqlite3" for agency in AGENCIES}
    assert all(path.exists() for path in files.values())
    stamps = {agency: path.stat().st_mtime_ns for agency, path in files.items()}
    seed_if_missing(tmp_path, citizens=120)
    assert {agency: path.stat().st_mtime_ns for agency, path in files.items()} == stamps


def test_seed_if_missing_fills_in_a_missing_register_consistently(tmp_path: Path) -> None:
    seed(tmp_path / "whole", 120)
    seed_if_missing(tmp_path / "part", citizens=120)
    (tmp_path / "part" / "tax.sqlite3").unlink()
    seed_if_missing(tmp_path / "part", citizens=120)
    assert _dump(tmp_path / "part", "tax") == _dump(tmp_path / "whole", "tax")


def test_seed_if_missing_refuses_to_mix_seeds(tmp_path: Path) -> None:
    seed(tmp_path, 120)
    (tmp_path / "transport.sqlite3").unlink()
    with pytest.raises(SeedMismatch, match="seeded differently"):
        seed_if_missing(tmp_path, citizens=130)
    assert not (tmp_path / "transport.sqlite3").exists()


def test_ten_thousand_citizens_seed_quickly(tmp_path: Path) -> None:
    # 100,000 take about 14 s on one core (see docs/subgraphs.md); this guards the scaling.
    started = time.perf_counter()
    seed(tmp_path, 10_000)
    assert time.perf_counter() - started < 10
