from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from subgraphs.common.settings import AgencySettings
from subgraphs.seed import AS_OF
from subgraphs.transport.app import create_transport_app
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client, query_db
from tests.subgraphs.people import ACCESS, ACCESS_IDS, Asks, People, assert_access, household

OpenApp = Callable[[AppFactory, AgencySettings], Client]

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"


@pytest.fixture
def transport(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_transport_app, settings)


def _citizen(pid: str) -> dict[str, str]:
    return {"__typename": "Citizen", "personalId": pid}


async def test_driving_licence_and_vehicles(transport: Client, seeded_dir: Path) -> None:
    row = query_db(
        seeded_dir,
        "transport",
        "SELECT l.*, COUNT(v.registration) AS cars FROM driving_licence l "
        "JOIN vehicle v ON v.personal_id = l.personal_id GROUP BY l.personal_id LIMIT 1",
    )[0]
    data = await transport.data(
        ENTITIES % "drivingLicence { number classes issuedOn validUntil isValid } "
        "vehicles { registration role make model modelYear inspectionDue }",
        {"r": [_citizen(row["personal_id"])]},
        identity=row["personal_id"],
    )
    citizen = data["_entities"][0]
    licence = citizen["drivingLicence"]
    assert licence["number"] == row["number"]
    assert licence["classes"] == row["classes"].split(",")
    assert licence["isValid"] == (row["valid_until"] >= AS_OF.isoformat())
    assert len(citizen["vehicles"]) == row["cars"]


async def test_no_licence_is_null(transport: Client) -> None:
    data = await transport.data(
        ENTITIES % "drivingLicence { number } vehicles { registration }",
        {"r": [_citizen("20250101-0001")]},
        identity="20250101-0001",
    )
    assert data["_entities"] == [{"drivingLicence": None, "vehicles": []}]


async def test_entities_batch_one_query_per_field(
    transport: Client, seeded_dir: Path, people: People
) -> None:
    caller, ids = household(seeded_dir, people.parent)
    assert len(ids) > 1
    database = transport.app.state.database
    before = database.queries
    await transport.data(
        ENTITIES % "drivingLicence { number } vehicles { registration }",
        {"r": [_citizen(pid) for pid in ids]},
        identity=caller,
    )
    assert database.queries - before == 2


FIELDS = {
    "drivingLicence": "drivingLicence { number classes issuedOn validUntil isValid }",
    "vehicles": "vehicles { registration role make model modelYear firstRegistered }",
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(("asks", "person", "readable"), [c[1:4] for c in ACCESS], ids=ACCESS_IDS)
async def test_access_per_person(
    transport: Client, people: People, asks: Asks, person: str, readable: bool, field: str
) -> None:
    await assert_access(transport, people, asks, person, field, FIELDS[field], readable)


async def test_service_sdl_declares_federation_directives(transport: Client) -> None:
    sdl = (await transport.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert (
        "vehicles: [Vehicle!]! @listSize(assumedSize: 5) "
        '@requiresScopes(scopes: [["vehicles:read"]])' in sdl
    )
    assert 'drivingLicence: DrivingLicence @requiresScopes(scopes: [["vehicles:read"]])' in sdl
