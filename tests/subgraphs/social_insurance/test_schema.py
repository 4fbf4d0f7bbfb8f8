from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.settings import AgencySettings
from subgraphs.seed import AS_OF
from subgraphs.social_insurance.app import create_social_insurance_app
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.gateway_tokens import Caller
from tests.subgraphs.helpers import Client, query_db
from tests.subgraphs.people import (
    ACCESS,
    ACCESS_IDS,
    Asks,
    People,
    assert_access,
    assert_forbidden,
    household,
)

OpenApp = Callable[[AppFactory, AgencySettings], Client]

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"
APPLY = """
mutation($input: ApplyForBenefitInput!) {
  applyForBenefit(input: $input) { kind status appliedOn validFrom concerns { personalId } }
}
"""


@pytest.fixture
def social(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_social_insurance_app, settings)


def _citizen(pid: str) -> dict[str, str]:
    return {"__typename": "Citizen", "personalId": pid}


def _benefits(directory: Path) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in query_db(directory, "social_insurance", "SELECT * FROM benefit")]


async def test_benefits_with_decisions_payments_and_whom_they_concern(
    social: Client, seeded_dir: Path
) -> None:
    row = query_db(
        seeded_dir,
        "social_insurance",
        "SELECT b.personal_id, b.concerns_id, COUNT(p.paid_on) AS paid FROM benefit b "
        "JOIN payment p ON p.benefit_id = b.id WHERE b.kind = 'CHILD_BENEFIT' "
        "GROUP BY b.id LIMIT 1",
    )[0]
    data = await social.data(
        ENTITIES % "benefits { kind status monthlyAmount concerns { personalId } "
        "decision { granted explanation } payments { paidOn amount } }",
        {"r": [_citizen(row["personal_id"])]},
        identity=row["personal_id"],
    )
    child_benefits = [
        b
        for b in data["_entities"][0]["benefits"]
        if b["kind"] == "CHILD_BENEFIT" and b["concerns"] == {"personalId": row["concerns_id"]}
    ]
    assert len(child_benefits) == 1
    benefit = child_benefits[0]
    assert benefit["status"] == "GRANTED"
    assert benefit["decision"]["granted"] is True
    assert len(benefit["payments"]) == row["paid"]
    assert all(p["amount"] == benefit["monthlyAmount"] for p in benefit["payments"])


async def test_entities_batch_one_query_per_list(
    social: Client, seeded_dir: Path, people: People
) -> None:
    caller, ids = household(seeded_dir, people.parent)
    assert len(ids) > 1
    database = social.app.state.database
    before = database.queries
    data = await social.data(
        ENTITIES % "benefits { kind payments { amount } } studies { institution }",
        {"r": [_citizen(pid) for pid in ids]},
        identity=caller,
    )
    assert len(data["_entities"]) == len(ids)
    # benefits, then all their payments in one batch, and studies.
    assert database.queries - before == 3


async def test_apply_for_child_benefit(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path
) -> None:
    social = open_app(create_social_insurance_app, write_settings)
    child = "20260901-0042"
    data = await social.data(
        APPLY,
        {"input": {"kind": "CHILD_BENEFIT", "concerns": child}},
        identity="19900101-0001",
    )
    assert data["applyForBenefit"] == {
        "kind": "CHILD_BENEFIT",
        "status": "APPLIED",
        "appliedOn": AS_OF.isoformat(),
        "validFrom": AS_OF.isoformat(),
        "concerns": {"personalId": child},
    }
    again = await social.post(
        APPLY,
        {"input": {"kind": "CHILD_BENEFIT", "concerns": child}},
        identity="19900101-0001",
    )
    assert "is being handled" in again["errors"][0]["message"]


async def test_apply_for_an_already_granted_benefit_is_refused(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path
) -> None:
    social = open_app(create_social_insurance_app, write_settings)
    row = query_db(
        data_dir,
        "social_insurance",
        "SELECT personal_id FROM benefit WHERE kind = 'PENSION' AND status = 'GRANTED' LIMIT 1",
    )[0]
    before = _benefits(data_dir)
    body = await social.post(APPLY, {"input": {"kind": "PENSION"}}, identity=row[0])
    assert "is already granted" in body["errors"][0]["message"]
    assert _benefits(data_dir) == before


@pytest.mark.parametrize(
    ("application", "message"),
    [
        ({"kind": "LOTTERY_WIN"}, "'LOTTERY_WIN'"),
        ({"kind": "CHILD_BENEFIT"}, "CHILD_BENEFIT needs `concerns`"),
        ({"kind": "CHILD_BENEFIT", "concerns": "not-an-id"}, "is not a personal ID"),
        ({"kind": "CHILD_BENEFIT", "concerns": "20261399-0001"}, "is not a personal ID"),
        ({"kind": "PENSION", "concerns": "20200101-0001"}, "leave `concerns` out"),
        ({"kind": "PENSION", "startsOn": "2020-01-01"}, "more than 183 days ago"),
        (
            {"kind": "PENSION", "startsOn": (AS_OF + timedelta(days=400)).isoformat()},
            "more than 183 days ahead",
        ),
    ],
)
async def test_apply_for_benefit_refuses_bad_input_and_changes_nothing(
    open_app: OpenApp,
    write_settings: AgencySettings,
    data_dir: Path,
    application: dict[str, str],
    message: str,
) -> None:
    social = open_app(create_social_insurance_app, write_settings)
    before = _benefits(data_dir)
    body = await social.post(APPLY, {"input": application}, identity="19900101-0001")
    assert body.get("data") is None
    assert message in body["errors"][0]["message"]
    assert _benefits(data_dir) == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (Caller(), "UNAUTHENTICATED"),
        (Caller("19900101-0001", actor="19700101-0001", delegation="mandate"), "FORBIDDEN"),
        (Caller("19900101-0001", actor="19700101-0001", delegation="guardianship"), "FORBIDDEN"),
        (Caller("19900101-0001", consent_id="cns-1"), "FORBIDDEN"),
    ],
    ids=["anonymous", "delegate", "guardian", "platform"],
)
async def test_only_the_citizens_own_token_applies(
    open_app: OpenApp, write_settings: AgencySettings, data_dir: Path, caller: Caller, code: str
) -> None:
    social = open_app(create_social_insurance_app, write_settings)
    before = _benefits(data_dir)
    body = await social.post(APPLY, {"input": {"kind": "PENSION"}}, identity=caller)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    assert _benefits(data_dir) == before


FIELDS = {
    "benefits": "benefits { id kind status appliedOn validFrom validUntil monthlyAmount "
    "concerns { personalId } decision { decidedOn granted explanation } "
    "payments { paidOn amount } }",
    "studies": "studies { institution startedOn endedOn }",
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(("asks", "person", "readable"), [c[1:4] for c in ACCESS], ids=ACCESS_IDS)
async def test_access_per_person(
    social: Client, people: People, asks: Asks, person: str, readable: bool, field: str
) -> None:
    await assert_access(social, people, asks, person, field, FIELDS[field], readable)


async def test_concerns_discloses_only_the_key(social: Client, seeded_dir: Path) -> None:
    row = query_db(
        seeded_dir,
        "social_insurance",
        "SELECT personal_id, concerns_id FROM benefit WHERE kind = 'CHILD_BENEFIT' LIMIT 1",
    )[0]
    applicant, child = row["personal_id"], row["concerns_id"]
    data = await social.data(
        ENTITIES % "benefits { concerns { personalId } }",
        {"r": [_citizen(applicant)]},
        identity=applicant,
    )
    assert {"personalId": child} in [b["concerns"] for b in data["_entities"][0]["benefits"]]
    # The child's own benefits are the child's: the applicant's token reads them only as
    # the guardian of a minor, never through the relationship.
    through = await social.post(
        ENTITIES % "benefits { concerns { benefits { kind } } }",
        {"r": [_citizen(applicant)]},
        identity=Caller(applicant),
    )
    refused = [e for e in through["errors"] if e["path"][-1] == "benefits"]
    assert refused and all(e["extensions"]["code"] == "FORBIDDEN" for e in refused)
    direct = await social.post(
        ENTITIES % "benefits { kind }", {"r": [_citizen(child)]}, identity=applicant
    )
    assert_forbidden(direct, "benefits")


async def test_service_sdl_declares_federation_directives(social: Client) -> None:
    sdl = (await social.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert (
        "benefits: [Benefit!]! @listSize(assumedSize: 10) "
        '@requiresScopes(scopes: [["benefits:read"]])' in sdl
    )
    assert (
        "applyForBenefit(input: ApplyForBenefitInput!): Benefit! "
        '@policy(policies: [["citizen:self"]])'
    ) in sdl
