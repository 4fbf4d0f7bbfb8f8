from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.errors import BadUserInput
from subgraphs.common.settings import AgencySettings
from subgraphs.population.app import create_population_app
from subgraphs.population.moves import MoveRequest, check_move
from subgraphs.seed import AS_OF
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.gateway_tokens import Caller
from tests.subgraphs.helpers import Client, query_db

OpenApp = Callable[[AppFactory, AgencySettings], Client]

REPORT_MOVE = """
mutation($input: ReportMoveInput!) {
  reportMove(input: $input) { personalId address { street postcode city since } }
}
"""


def _request(**changes: Any) -> MoveRequest:
    fields: dict[str, Any] = {
        "street": "Uusi katu 5 B 12",
        "postcode": "33100",
        "city": "Tampere",
        "municipality": "Tampere",
        "moved_on": AS_OF - timedelta(days=3),
    }
    fields.update(changes)
    return MoveRequest(**fields)


def test_check_move_accepts_a_well_formed_move() -> None:
    address = check_move(_request(postcode=" 33100 "), AS_OF)
    assert address.postcode == "33100"
    assert address.since == AS_OF - timedelta(days=3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "3310"}, "postcode"),
        ({"postcode": "ABCDE"}, "postcode"),
        ({"street": "  "}, "street"),
        ({"city": "x" * 101}, "city"),
        ({"moved_on": AS_OF + timedelta(days=1)}, "movedOn"),
        ({"moved_on": AS_OF - timedelta(days=366)}, "movedOn"),
        ({"moved_on": date(1990, 1, 1)}, "movedOn"),
    ],
)
def test_check_move_refuses_bad_input(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(BadUserInput) as raised:
        check_move(_request(**changes), AS_OF)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": field}


def _family_at_home(directory: Path) -> tuple[str, list[str]]:
    """A living parent and the minor children sharing their current address."""
    minor_born = (AS_OF - timedelta(days=18 * 366)).isoformat()
    rows = query_db(
        directory,
        "population",
        "WITH current AS (SELECT a.* FROM address a WHERE a.since = "
        "(SELECT MAX(since) FROM address b WHERE b.personal_id = a.personal_id)) "
        "SELECT pc.parent_id, pc.child_id FROM parent_child pc "
        "JOIN person c ON c.personal_id = pc.child_id "
        "JOIN person p ON p.personal_id = pc.parent_id "
        "JOIN current ca ON ca.personal_id = pc.child_id "
        "JOIN current pa ON pa.personal_id = pc.parent_id "
        "WHERE c.date_of_birth > ? AND c.date_of_death IS NULL AND p.date_of_death IS NULL "
        "AND ca.street = pa.street AND ca.postcode = pa.postcode AND pa.since < ? "
        "ORDER BY pc.parent_id",
        (minor_born, (AS_OF - timedelta(days=10)).isoformat()),
    )
    parent = rows[0]["parent_id"]
    return parent, [row["child_id"] for row in rows if row["parent_id"] == parent]


def _addresses(directory: Path) -> list[tuple[Any, ...]]:
    rows = query_db(directory, "population", "SELECT * FROM address ORDER BY id")
    return [tuple(row) for row in rows]


async def test_report_move_moves_the_citizen_and_minors_at_home(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path
) -> None:
    population = open_app(create_population_app, write_settings)
    parent, children = _family_at_home(data_dir)
    moved_on = (AS_OF - timedelta(days=2)).isoformat()
    move = {
        "street": "Hämeenkatu 1 A 3",
        "postcode": "33100",
        "city": "Tampere",
        "municipality": "Tampere",
        "movedOn": moved_on,
    }
    data = await population.data(REPORT_MOVE, {"input": move}, identity=parent)
    assert data["reportMove"]["address"] == {
        "street": "Hämeenkatu 1 A 3",
        "postcode": "33100",
        "city": "Tampere",
        "since": moved_on,
    }
    for child in children:
        seen = await population.data("{ me { address { street since } } }", identity=child)
        assert seen["me"]["address"] == {"street": "Hämeenkatu 1 A 3", "since": moved_on}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"postcode": "331"}, "postcode must be five digits"),
        ({"movedOn": "2001-05-01"}, "more than 365 days ago"),
        ({"movedOn": (AS_OF + timedelta(days=5)).isoformat()}, "in the future"),
        ({"street": ""}, "street must not be empty"),
    ],
)
async def test_report_move_refuses_bad_input_and_changes_nothing(
    open_app: OpenApp,
    write_settings: AgencySettings,
    data_dir: Path,
    changes: dict[str, str],
    message: str,
) -> None:
    population = open_app(create_population_app, write_settings)
    parent, _ = _family_at_home(data_dir)
    before = _addresses(data_dir)
    move = {
        "street": "Hämeenkatu 1",
        "postcode": "33100",
        "city": "Tampere",
        "municipality": "Tampere",
        "movedOn": (AS_OF - timedelta(days=2)).isoformat(),
        **changes,
    }
    body = await population.post(REPORT_MOVE, {"input": move}, identity=parent)
    assert body["data"] is None
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _addresses(data_dir) == before


async def test_report_move_before_the_current_address_changes_nothing(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path
) -> None:
    population = open_app(create_population_app, write_settings)
    row = query_db(
        data_dir,
        "population",
        "SELECT a.personal_id, MAX(a.since) AS since FROM address a "
        "JOIN person p ON p.personal_id = a.personal_id WHERE p.date_of_death IS NULL "
        "GROUP BY a.personal_id HAVING MAX(a.since) > ? LIMIT 1",
        ((AS_OF - timedelta(days=200)).isoformat(),),
    )[0]
    before = _addresses(data_dir)
    earlier = (date.fromisoformat(row["since"]) - timedelta(days=1)).isoformat()
    move = {
        "street": "Hämeenkatu 1",
        "postcode": "33100",
        "city": "Tampere",
        "municipality": "Tampere",
        "movedOn": earlier,
    }
    body = await population.post(REPORT_MOVE, {"input": move}, identity=row["personal_id"])
    assert "must be after the current address" in body["errors"][0]["message"]
    assert _addresses(data_dir) == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (Caller(), "UNAUTHENTICATED"),
        (Caller("parent", actor="19700101-0001", delegation="mandate"), "FORBIDDEN"),
        (Caller("parent", actor="19700101-0001", delegation="guardianship"), "FORBIDDEN"),
        (Caller("parent", consent_id="cns-1"), "FORBIDDEN"),
    ],
    ids=["anonymous", "delegate", "guardian", "platform"],
)
async def test_only_the_citizens_own_token_reports_a_move(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path, caller: Caller, code: str
) -> None:
    population = open_app(create_population_app, write_settings)
    parent, _ = _family_at_home(data_dir)
    if caller.subject is not None:
        caller = dataclasses.replace(caller, subject=parent)
    before = _addresses(data_dir)
    move = {
        "street": "Hämeenkatu 1",
        "postcode": "33100",
        "city": "Tampere",
        "municipality": "Tampere",
        "movedOn": AS_OF.isoformat(),
    }
    body = await population.post(REPORT_MOVE, {"input": move}, identity=caller)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    assert _addresses(data_dir) == before
