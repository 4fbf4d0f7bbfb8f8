from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from subgraphs.common.settings import AgencySettings
from subgraphs.seed import AS_OF
from subgraphs.transport.app import create_transport_app
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client, query_db

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
    )
    assert data["_entities"] == [{"drivingLicence": None, "vehicles": []}]


async def test_entities_batch_one_query_per_field(transport: Client, seeded_dir: Path) -> None:
    ids = [
        r[0]
        for r in query_db(
            seeded_dir, "transport", "SELECT personal_id FROM driving_licence LIMIT 40"
        )
    ]
    database = transport.app.state.database
    before = database.queries
    await transport.data(
        ENTITIES % "drivingLicence { number } vehicles { registration }",
        {"r": [_citizen(pid) for pid in ids]},
    )
    assert database.queries - before == 2


async def test_service_sdl_declares_federation_directives(transport: Client) -> None:
    sdl = (await transport.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert 'vehicles: [Vehicle!]! @requiresScopes(scopes: [["vehicles:read"]])' in sdl
    assert 'drivingLicence: DrivingLicence @requiresScopes(scopes: [["vehicles:read"]])' in sdl
