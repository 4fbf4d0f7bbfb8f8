from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from subgraphs.common.settings import AgencySettings
from subgraphs.seed import AS_OF
from subgraphs.tax.app import create_tax_app
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.gateway_tokens import Caller
from tests.subgraphs.helpers import Client, query_db
from tests.subgraphs.people import (
    ACCESS,
    ACCESS_IDS,
    Asks,
    People,
    assert_access,
    household,
)

OpenApp = Callable[[AppFactory, AgencySettings], Client]

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"
CHANGE = """
mutation($input: ChangeWithholdingRateInput!) {
  changeWithholdingRate(input: $input) { withholdingRate validFrom reason }
}
"""


@pytest.fixture
def tax(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_tax_app, settings)


def _citizen(pid: str) -> dict[str, str]:
    return {"__typename": "Citizen", "personalId": pid}


async def test_income_by_year_and_source(tax: Client, seeded_dir: Path) -> None:
    row = query_db(
        seeded_dir,
        "tax",
        "SELECT personal_id, year FROM income GROUP BY personal_id, year "
        "HAVING COUNT(*) > 1 LIMIT 1",
    )[0]
    pid, year = row["personal_id"], row["year"]
    items = query_db(
        seeded_dir,
        "tax",
        "SELECT source, payer, amount_cents FROM income WHERE personal_id = ? AND year = ?",
        (pid, year),
    )
    data = await tax.data(
        ENTITIES % "income(year: %d) { year total bySource { source payer amount } }" % year,
        {"r": [_citizen(pid)]},
        identity=pid,
    )
    income = data["_entities"][0]["income"]
    assert income["year"] == year
    assert Decimal(income["total"]) == sum(Decimal(i["amount_cents"]) for i in items) / 100
    assert sorted((i["source"], i["payer"]) for i in income["bySource"]) == sorted(
        (i["source"], i["payer"]) for i in items
    )


async def test_income_defaults_to_the_latest_year(tax: Client, seeded_dir: Path) -> None:
    pid = query_db(seeded_dir, "tax", "SELECT personal_id FROM income LIMIT 1")[0][0]
    latest = query_db(
        seeded_dir, "tax", "SELECT MAX(year) FROM income WHERE personal_id = ?", (pid,)
    )[0][0]
    data = await tax.data(ENTITIES % "income { year }", {"r": [_citizen(pid)]}, identity=pid)
    assert data["_entities"][0]["income"] == {"year": latest}
    missing = await tax.data(
        ENTITIES % "income(year: 1990) { year }", {"r": [_citizen(pid)]}, identity=pid
    )
    assert missing["_entities"][0]["income"] is None


async def test_decisions_card_and_employments(tax: Client, seeded_dir: Path) -> None:
    pid = query_db(
        seeded_dir, "tax", "SELECT personal_id FROM tax_decision WHERE kind = 'AMOUNT_DUE' LIMIT 1"
    )[0][0]
    data = await tax.data(
        ENTITIES % "taxDecisions { year kind amount issuedOn dueBy } withholdingRate "
        "taxCard { withholdingRate validFrom } employments { employer startedOn endedOn }",
        {"r": [_citizen(pid)]},
        identity=pid,
    )
    citizen = data["_entities"][0]
    due = [d for d in citizen["taxDecisions"] if d["kind"] == "AMOUNT_DUE"]
    assert due and all(d["dueBy"] is not None for d in due)
    count = query_db(
        seeded_dir, "tax", "SELECT COUNT(*) FROM tax_decision WHERE personal_id = ?", (pid,)
    )[0][0]
    assert len(citizen["taxDecisions"]) == count
    if citizen["taxCard"] is not None:
        assert citizen["withholdingRate"] == citizen["taxCard"]["withholdingRate"]


async def test_entities_batch_one_query_per_field(
    tax: Client, seeded_dir: Path, people: People
) -> None:
    caller, ids = household(seeded_dir, people.parent)
    assert len(ids) > 1
    database = tax.app.state.database
    before = database.queries
    data = await tax.data(
        ENTITIES % "a: income(year: %d) { total } b: income { total } taxDecisions { kind } "
        "withholdingRate taxCard { reason }" % (AS_OF.year - 1),
        {"r": [_citizen(pid) for pid in ids]},
        identity=caller,
    )
    assert len(data["_entities"]) == len(ids)
    # incomes (both aliases), decisions, tax cards (rate and card share one loader).
    assert database.queries - before == 3


FIELDS = {
    "income": "income { year total bySource { source payer amount } }",
    "employments": "employments { employer startedOn endedOn }",
    "taxDecisions": "taxDecisions { year kind amount issuedOn dueBy }",
    "withholdingRate": "withholdingRate",
    "taxCard": "taxCard { withholdingRate validFrom reason }",
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(("asks", "person", "readable"), [c[1:4] for c in ACCESS], ids=ACCESS_IDS)
async def test_access_per_person(
    tax: Client, people: People, asks: Asks, person: str, readable: bool, field: str
) -> None:
    await assert_access(tax, people, asks, person, field, FIELDS[field], readable)


async def test_unreadable_fields_cost_no_query(tax: Client, people: People) -> None:
    database = tax.app.state.database
    before = database.queries
    body = await tax.post(
        ENTITIES % " ".join(FIELDS.values()),
        {"r": [_citizen(people.spouse)]},
        identity=people.parent,
    )
    # A refused non-null list nulls the entity, so not every refusal need be reported.
    assert body["data"] == {"_entities": [None]}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert database.queries == before


async def test_change_withholding_rate(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path
) -> None:
    tax = open_app(create_tax_app, write_settings)
    pid = query_db(data_dir, "tax", "SELECT personal_id FROM tax_card LIMIT 1")[0][0]
    data = await tax.data(
        CHANGE, {"input": {"withholdingRate": 31.5, "reason": "Started a business"}}, identity=pid
    )
    assert data["changeWithholdingRate"] == {
        "withholdingRate": 31.5,
        "validFrom": AS_OF.isoformat(),
        "reason": "Started a business",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"withholdingRate": 75.0, "reason": "x"}, "between 0 and 60"),
        ({"withholdingRate": -1.0, "reason": "x"}, "between 0 and 60"),
        ({"withholdingRate": 20.0, "reason": "   "}, "reason must be"),
    ],
)
async def test_change_withholding_rate_refuses_bad_input(
    open_app: OpenApp,
    write_settings: AgencySettings,
    data_dir: Path,
    change: dict[str, object],
    message: str,
) -> None:
    tax = open_app(create_tax_app, write_settings)
    pid = query_db(data_dir, "tax", "SELECT personal_id FROM tax_card LIMIT 1")[0][0]
    before = [tuple(r) for r in query_db(data_dir, "tax", "SELECT * FROM tax_card")]
    body = await tax.post(CHANGE, {"input": change}, identity=pid)
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert [tuple(r) for r in query_db(data_dir, "tax", "SELECT * FROM tax_card")] == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (Caller(), "UNAUTHENTICATED"),
        (Caller(subject="self", actor="19700101-0001", delegation="mandate"), "FORBIDDEN"),
        (Caller(subject="self", consent_id="cns-1"), "FORBIDDEN"),
    ],
    ids=["anonymous", "delegate", "platform"],
)
async def test_only_the_citizens_own_token_changes_the_rate(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path, caller: Caller, code: str
) -> None:
    tax = open_app(create_tax_app, write_settings)
    pid = query_db(data_dir, "tax", "SELECT personal_id FROM tax_card LIMIT 1")[0][0]
    if caller.subject is not None:
        caller = dataclasses.replace(caller, subject=pid)
    before = [tuple(r) for r in query_db(data_dir, "tax", "SELECT * FROM tax_card")]
    body = await tax.post(
        CHANGE, {"input": {"withholdingRate": 20.0, "reason": "x"}}, identity=caller
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    assert [tuple(r) for r in query_db(data_dir, "tax", "SELECT * FROM tax_card")] == before


async def test_service_sdl_declares_federation_directives(tax: Client) -> None:
    sdl = (await tax.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert 'income(year: Int = null): Income @requiresScopes(scopes: [["income:read"]])' in sdl
    assert (
        "taxDecisions: [TaxDecision!]! @listSize(assumedSize: 10) "
        '@requiresScopes(scopes: [["tax:read"]])' in sdl
    )
    assert (
        "changeWithholdingRate(input: ChangeWithholdingRateInput!): TaxCard! "
        '@policy(policies: [["citizen:self"]])'
    ) in sdl
