from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from subgraphs.business.app import create_business_app
from subgraphs.common.settings import AgencySettings
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client, query_db
from tests.subgraphs.people import ACCESS, ACCESS_IDS, Asks, People, assert_access, household

OpenApp = Callable[[AppFactory, AgencySettings], Client]

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"


@pytest.fixture
def business(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_business_app, settings)


def _citizen(pid: str) -> dict[str, str]:
    return {"__typename": "Citizen", "personalId": pid}


async def test_companies_with_roles_and_events(business: Client, seeded_dir: Path) -> None:
    row = query_db(
        seeded_dir,
        "business",
        "SELECT r.personal_id, c.* FROM company_role r JOIN company c USING (business_id) "
        "WHERE r.role = 'OWNER' ORDER BY c.dissolved_on IS NULL LIMIT 1",
    )[0]
    data = await business.data(
        ENTITIES % "companies { role since until company { businessId name form registeredOn "
        "dissolvedOn events { kind occurredOn description } } }",
        {"r": [_citizen(row["personal_id"])]},
        identity=row["personal_id"],
    )
    roles = [
        r
        for r in data["_entities"][0]["companies"]
        if r["company"]["businessId"] == row["business_id"]
    ]
    assert roles[0]["role"] == "OWNER"
    company = roles[0]["company"]
    assert company["name"] == row["name"]
    kinds = {event["kind"] for event in company["events"]}
    assert "REGISTERED" in kinds
    assert ("DISSOLVED" in kinds) == (row["dissolved_on"] is not None)


async def test_entities_batch_one_query_per_list(
    business: Client, seeded_dir: Path, people: People
) -> None:
    caller, ids = household(seeded_dir, people.parent)
    assert len(ids) > 1
    database = business.app.state.database
    before = database.queries
    await business.data(
        ENTITIES % "companies { role company { name events { kind } } }",
        {"r": [_citizen(pid) for pid in ids]},
        identity=caller,
    )
    # roles with their companies, then the events of every company: one query each.
    assert database.queries - before == 2


COMPANIES = (
    "companies { role since until company { businessId name form registeredOn dissolvedOn "
    "events { kind occurredOn description } } }"
)


@pytest.mark.parametrize(("asks", "person", "readable"), [c[1:4] for c in ACCESS], ids=ACCESS_IDS)
async def test_access_per_person(
    business: Client, people: People, asks: Asks, person: str, readable: bool
) -> None:
    await assert_access(business, people, asks, person, "companies", COMPANIES, readable)


async def test_service_sdl_declares_federation_directives(business: Client) -> None:
    sdl = (await business.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert (
        "companies: [CompanyRole!]! @listSize(assumedSize: 10) "
        '@requiresScopes(scopes: [["business:read"]])' in sdl
    )
