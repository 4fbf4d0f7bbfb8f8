from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from subgraphs.common.settings import AgencySettings
from subgraphs.population.app import create_population_app
from subgraphs.seed import AS_OF
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client, query_db

OpenApp = Callable[[AppFactory, AgencySettings], Client]


@pytest.fixture
def population(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_population_app, settings)


def _parent_with_minor(seeded_dir: Path) -> tuple[str, str]:
    adult_born = (AS_OF - timedelta(days=18 * 366)).isoformat()
    row = query_db(
        seeded_dir,
        "population",
        "SELECT pc.parent_id, pc.child_id FROM parent_child pc "
        "JOIN person c ON c.personal_id = pc.child_id "
        "JOIN person p ON p.personal_id = pc.parent_id "
        "WHERE c.date_of_birth > ? AND c.date_of_death IS NULL AND p.date_of_death IS NULL "
        "ORDER BY pc.parent_id LIMIT 1",
        (adult_born,),
    )[0]
    return row["parent_id"], row["child_id"]


async def test_health(population: Client) -> None:
    import httpx

    transport = httpx.ASGITransport(app=population.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agency") as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "agency": "population"}


async def test_me_is_null_without_identity(population: Client) -> None:
    assert await population.data("{ me { personalId } }") == {"me": None}


async def test_me_reads_the_register(population: Client, seeded_dir: Path) -> None:
    person = query_db(seeded_dir, "population", "SELECT * FROM person LIMIT 1")[0]
    data = await population.data(
        "{ me { personalId name { given family } dateOfBirth sex nationality "
        "address { street postcode city municipality since } addressHistory { since } } }",
        identity=person["personal_id"],
    )
    me = data["me"]
    assert me["personalId"] == person["personal_id"]
    assert me["name"] == {"given": person["given_name"], "family": person["family_name"]}
    assert me["dateOfBirth"] == person["date_of_birth"]
    assert me["sex"] == person["sex"]
    history = [entry["since"] for entry in me["addressHistory"]]
    assert history == sorted(history, reverse=True)
    assert me["address"]["since"] == history[0]


async def test_family_matches_the_register(population: Client, seeded_dir: Path) -> None:
    parent, child = _parent_with_minor(seeded_dir)
    data = await population.data(
        "{ me { children { personalId } guardianOf { personalId } "
        "family { children { personalId } spouse { personalId } } } }",
        identity=parent,
    )
    children = {c["personalId"] for c in data["me"]["children"]}
    assert child in children
    assert child in {c["personalId"] for c in data["me"]["guardianOf"]}
    assert {c["personalId"] for c in data["me"]["family"]["children"]} == children
    spouse = query_db(
        seeded_dir, "population", "SELECT spouse_id FROM marriage WHERE personal_id = ?", (parent,)
    )
    expected_spouse = {"personalId": spouse[0]["spouse_id"]} if spouse else None
    assert data["me"]["family"]["spouse"] == expected_spouse

    parents = await population.data("{ me { family { parents { personalId } } } }", identity=child)
    assert parent in {p["personalId"] for p in parents["me"]["family"]["parents"]}


async def test_guardian_of_leaves_out_adult_children(population: Client, seeded_dir: Path) -> None:
    adult_born = (AS_OF - timedelta(days=19 * 366)).isoformat()
    row = query_db(
        seeded_dir,
        "population",
        "SELECT pc.parent_id, pc.child_id FROM parent_child pc "
        "JOIN person c ON c.personal_id = pc.child_id WHERE c.date_of_birth < ? LIMIT 1",
        (adult_born,),
    )[0]
    data = await population.data(
        "{ me { children { personalId } guardianOf { personalId } } }",
        identity=row["parent_id"],
    )
    assert row["child_id"] in {c["personalId"] for c in data["me"]["children"]}
    assert row["child_id"] not in {c["personalId"] for c in data["me"]["guardianOf"]}


async def test_citizen_allows_a_minor_in_ones_care(population: Client, seeded_dir: Path) -> None:
    parent, child = _parent_with_minor(seeded_dir)
    data = await population.data(
        "query($id: ID!) { citizen(personalId: $id) { personalId } }",
        {"id": child},
        identity=parent,
    )
    assert data == {"citizen": {"personalId": child}}


async def test_citizen_refuses_anyone_else(population: Client, seeded_dir: Path) -> None:
    parent, child = _parent_with_minor(seeded_dir)
    body = await population.post(
        "query($id: ID!) { citizen(personalId: $id) { personalId name { given } } }",
        {"id": parent},
        identity=child,
    )
    assert body["data"] == {"citizen": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_citizen_needs_a_signed_in_person(population: Client) -> None:
    body = await population.post('{ citizen(personalId: "19800101-0001") { personalId } }')
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_dev_identity_header_is_refused_outside_development(
    open_app: OpenApp, seeded_dir: Path
) -> None:
    production = AgencySettings(data_dir=seeded_dir, env="production", today=AS_OF)
    population = open_app(create_population_app, production)
    body = await population.post("{ me { personalId } }", identity="19800101-0001")
    assert body["data"] == {"me": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "CITIZEN_ENV=development" in body["errors"][0]["message"]


async def test_entities_resolve_citizens_and_miss_unknown_ones(
    population: Client, seeded_dir: Path
) -> None:
    ids = [
        row[0]
        for row in query_db(seeded_dir, "population", "SELECT personal_id FROM person LIMIT 3")
    ]
    representations = [{"__typename": "Citizen", "personalId": pid} for pid in ids]
    representations.append({"__typename": "Citizen", "personalId": "19000101-9999"})
    data = await population.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { personalId } } }",
        {"r": representations},
    )
    assert data["_entities"] == [{"personalId": pid} for pid in ids] + [None]


async def test_entities_batch_one_query_per_field(population: Client, seeded_dir: Path) -> None:
    ids = [
        row[0]
        for row in query_db(seeded_dir, "population", "SELECT personal_id FROM person LIMIT 50")
    ]
    representations = [{"__typename": "Citizen", "personalId": pid} for pid in ids]
    database = population.app.state.database
    before = database.queries
    data = await population.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { "
        "name { given } address { city } children { personalId name { given } } } } }",
        {"r": representations},
    )
    assert len(data["_entities"]) == 50
    # persons, addresses, children (whose own records come with the join): three queries.
    assert database.queries - before == 3


async def test_service_sdl_declares_federation_directives(population: Client) -> None:
    sdl = (await population.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert 'address: Address @requiresScopes(scopes: [["address:read"]])' in sdl
    assert 'name: PersonName @requiresScopes(scopes: [["identity:read"]])' in sdl
    assert 'children: [Citizen!]! @requiresScopes(scopes: [["family:read"]])' in sdl
    assert "me: Citizen @authenticated" in sdl
    assert "citizen(personalId: ID!): Citizen @authenticated" in sdl
    assert (
        'reportMove(input: ReportMoveInput!): Citizen! @policy(policies: [["citizen:self"]])' in sdl
    )
    assert "https://specs.apollo.dev/federation/v2.6" in sdl
