from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from subgraphs.business.app import create_business_app
from subgraphs.common.settings import AgencySettings
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client, query_db

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


async def test_entities_batch_one_query_per_list(business: Client, seeded_dir: Path) -> None:
    ids = [
        r[0]
        for r in query_db(
            seeded_dir, "business", "SELECT DISTINCT personal_id FROM company_role LIMIT 30"
        )
    ]
    database = business.app.state.database
    before = database.queries
    await business.data(
        ENTITIES % "companies { role company { name events { kind } } }",
        {"r": [_citizen(pid) for pid in ids]},
    )
    assert database.queries - before == 2


async def test_service_sdl_declares_federation_directives(business: Client) -> None:
    sdl = (await business.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert 'companies: [CompanyRole!]! @requiresScopes(scopes: [["business:read"]])' in sdl
