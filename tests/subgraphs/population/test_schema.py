from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.settings import AgencySettings
from subgraphs.population.app import create_population_app
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.gateway_tokens import Caller
from tests.subgraphs.helpers import Client, entities, query_db
from tests.subgraphs.people import (
    ACCESS,
    ACCESS_IDS,
    ENTITIES,
    Asks,
    People,
    assert_access,
    household,
)

OpenApp = Callable[[AppFactory, AgencySettings], Client]

# Every field of a person that only someone who may read them sees.
PERSONAL = {
    "sex": "sex",
    "nationality": "nationality",
    "address": "address { street postcode city municipality since }",
    "addressHistory": "addressHistory { street since }",
    "family": "family { parents { personalId } spouse { personalId } children { personalId } }",
    "children": "children { personalId }",
    "guardianOf": "guardianOf { personalId }",
}
# What a family relationship discloses of a relative: who they are, and whether they live.
IDENTIFYING = {
    "name": "name { given family }",
    "dateOfBirth": "dateOfBirth",
    "dateOfDeath": "dateOfDeath",
}
ALL_FIELDS = " ".join(["personalId", *IDENTIFYING.values(), *PERSONAL.values()])
SPOUSE = "{ me { family { spouse { %s } } } }"
CHILD = "personalId sex address { city } addressHistory { since }"


@pytest.fixture
def population(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_population_app, settings)


def _person(seeded_dir: Path, personal_id: str) -> Any:
    return query_db(
        seeded_dir, "population", "SELECT * FROM person WHERE personal_id = ?", (personal_id,)
    )[0]


def _refused(body: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in body.get("errors", [])}


async def test_health_needs_no_token(population: Client) -> None:
    response = await population.request("GET", "/health", {})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "agency": "population"}


async def test_me_is_null_for_an_anonymous_token(population: Client) -> None:
    assert await population.data("{ me { personalId } }", identity=Caller()) == {"me": None}


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


@pytest.mark.parametrize(
    ("caller", "me"),
    [
        (Caller("parent", actor="stranger", delegation="mandate"), "parent"),
        (Caller("parent", consent_id="cns-test"), "parent"),
        (Caller("minor", actor="parent", delegation="guardianship"), "minor"),
    ],
    ids=["delegate", "platform", "guardian's exchanged token"],
)
async def test_me_is_the_data_subject(
    population: Client, people: People, caller: Caller, me: str
) -> None:
    token = Caller(
        subject=people[caller.subject or ""],
        actor=people[caller.actor] if caller.actor else None,
        delegation=caller.delegation,
        consent_id=caller.consent_id,
    )
    data = await population.data("{ me { personalId address { city } } }", identity=token)
    assert data["me"]["personalId"] == people[me]


async def test_family_matches_the_register(
    population: Client, seeded_dir: Path, people: People
) -> None:
    parent, child = people.parent, people.minor
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
    assert data["me"]["family"]["spouse"] == {"personalId": spouse[0]["spouse_id"]}

    parents = await population.data("{ me { family { parents { personalId } } } }", identity=child)
    assert parent in {p["personalId"] for p in parents["me"]["family"]["parents"]}


async def test_guardian_of_leaves_out_adult_children(population: Client, people: People) -> None:
    data = await population.data(
        "{ me { children { personalId } guardianOf { personalId } } }",
        identity=people.grown_parent,
    )
    assert people.grown_child in {c["personalId"] for c in data["me"]["children"]}
    assert people.grown_child not in {c["personalId"] for c in data["me"]["guardianOf"]}


async def test_spouse_through_family_shows_who_they_are_and_nothing_else(
    population: Client, seeded_dir: Path, people: People
) -> None:
    spouse = _person(seeded_dir, people.spouse)
    body = await population.post(SPOUSE % ALL_FIELDS, identity=people.parent)
    # A refused non-null field (addressHistory, children, guardianOf) nulls the spouse.
    assert body["data"] == {"me": {"family": {"spouse": None}}}
    path = ("me", "family", "spouse")
    assert set(_refused(body).values()) == {"FORBIDDEN"}
    assert {p[:3] for p in _refused(body)} == {path}
    shown = await population.data(
        SPOUSE % "personalId name { given family } dateOfBirth", identity=people.parent
    )
    assert shown["me"]["family"]["spouse"]["personalId"] == people.spouse
    assert shown["me"]["family"]["spouse"]["name"] == {
        "given": spouse["given_name"],
        "family": spouse["family_name"],
    }
    assert shown["me"]["family"]["spouse"]["dateOfBirth"] == spouse["date_of_birth"]


async def test_spouse_through_family_refuses_each_personal_field(
    population: Client, people: People
) -> None:
    for field, selection in PERSONAL.items():
        body = await population.post(
            SPOUSE % f"personalId name {{ given }} {selection}",
            identity=people.parent,
        )
        assert _refused(body) == {("me", "family", "spouse", field): "FORBIDDEN"}, field


async def test_guardian_reads_a_minor_child_through_family(
    population: Client, seeded_dir: Path, people: People
) -> None:
    query = "{ me { family { children { " + CHILD + " } } } }"
    guardian = Caller(people.parent, guardian_of=(people.minor,))
    data = await population.data(query, identity=guardian)
    minor = next(c for c in data["me"]["family"]["children"] if c["personalId"] == people.minor)
    own = await population.data("{ me { " + CHILD + " } }", identity=people.minor)
    assert minor == own["me"]
    assert minor["sex"] == _person(seeded_dir, people.minor)["sex"]

    # The same parent's own token without guardian_of: the child's name, not their address.
    body = await population.post(
        "{ me { family { children { personalId name { given } address { city } } } } }",
        identity=people.parent,
    )
    refused = _refused(body)
    assert refused and set(refused.values()) == {"FORBIDDEN"}
    assert {p[-1] for p in refused} == {"address"}
    assert all(c["name"] is not None for c in body["data"]["me"]["family"]["children"])


@pytest.mark.parametrize("field", [*IDENTIFYING, *PERSONAL])
@pytest.mark.parametrize(
    ("asks", "person", "readable", "relative"), [c[1:] for c in ACCESS], ids=ACCESS_IDS
)
async def test_access_per_person(
    population: Client,
    people: People,
    asks: Asks,
    person: str,
    readable: bool,
    relative: bool,
    field: str,
) -> None:
    selection = IDENTIFYING.get(field) or PERSONAL[field]
    # `_entities` discloses a relative of someone the token may read as a relationship would.
    shown = readable or (relative and field in IDENTIFYING)
    await assert_access(population, people, asks, person, field, selection, shown)


async def test_entities_for_an_unrelated_person_refuse_even_the_name(
    population: Client, people: People
) -> None:
    body = await population.post(
        ENTITIES % "personalId name { given } dateOfBirth",
        {"r": entities(people.parent)},
        identity=people.stranger,
    )
    assert body["data"]["_entities"] == [
        {"personalId": people.parent, "name": None, "dateOfBirth": None}
    ]
    assert _refused(body) == {
        ("_entities", 0, "name"): "FORBIDDEN",
        ("_entities", 0, "dateOfBirth"): "FORBIDDEN",
    }


async def test_citizen_allows_a_minor_in_ones_care(population: Client, people: People) -> None:
    data = await population.data(
        "query($id: ID!) { citizen(personalId: $id) { personalId address { city } } }",
        {"id": people.minor},
        identity=Caller(people.parent, guardian_of=(people.minor,)),
    )
    assert data["citizen"]["personalId"] == people.minor


@pytest.mark.parametrize(
    ("caller", "asked"),
    [
        (Caller("minor"), "parent"),
        (Caller("stranger"), "parent"),
        (Caller("parent"), "minor"),
        (Caller("grown_parent", guardian_of=("grown_child",)), "grown_child"),
        (Caller("parent", consent_id="cns-test", guardian_of=("minor",)), "minor"),
        (Caller("parent", actor="stranger", delegation="mandate"), "stranger"),
    ],
    ids=[
        "child asks for parent",
        "stranger",
        "parent without guardian_of",
        "ward who turned 18",
        "platform, the subject's ward",
        "delegate's own record on a delegated token",
    ],
)
async def test_citizen_refuses_anyone_else(
    population: Client, people: People, caller: Caller, asked: str
) -> None:
    token = Caller(
        subject=people[caller.subject or ""],
        actor=people[caller.actor] if caller.actor else None,
        delegation=caller.delegation,
        consent_id=caller.consent_id,
        guardian_of=tuple(people[w] for w in caller.guardian_of or ()),
    )
    body = await population.post(
        "query($id: ID!) { citizen(personalId: $id) { personalId name { given } } }",
        {"id": people[asked]},
        identity=token,
    )
    assert body["data"] == {"citizen": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert people[asked] not in body["errors"][0]["message"]


async def test_citizen_needs_a_signed_in_person(population: Client) -> None:
    body = await population.post(
        '{ citizen(personalId: "19800101-0001") { personalId } }', identity=Caller()
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_entities_miss_unknown_people_only_for_who_may_read_them(
    population: Client, seeded_dir: Path, people: People
) -> None:
    caller, ids = household(seeded_dir, people.parent)
    unknown = "19000101-9999"
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { personalId } } }"
    )
    data = await population.data(query, {"r": entities(*ids, unknown)}, identity=caller)
    # The household is read; an unknown person the token cannot read is answered like anyone
    # it cannot read, so the answer does not tell whether they exist.
    assert data["_entities"] == [{"personalId": pid} for pid in [*ids, unknown]]
    nobody = await population.data(query, {"r": entities(unknown)}, identity=unknown)
    assert nobody["_entities"] == [None]


async def test_entities_batch_one_query_per_field(
    population: Client, seeded_dir: Path, people: People
) -> None:
    caller, ids = household(seeded_dir, people.parent)
    assert len(ids) > 1
    database = population.app.state.database
    before = database.queries
    data = await population.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { "
        "name { given } address { city } children { personalId name { given } } } } }",
        {"r": entities(*ids)},
        identity=caller,
    )
    assert len(data["_entities"]) == len(ids)
    # persons, addresses, children (whose own records come with the join): three queries.
    assert database.queries - before == 3


async def test_relatives_are_found_with_one_query_per_relationship(
    population: Client, people: People
) -> None:
    database = population.app.state.database
    before = database.queries
    data = await population.data(
        ENTITIES % "personalId name { given }",
        {"r": entities(people.spouse, people.minor)},
        identity=people.parent,
    )
    assert all(entity["name"] is not None for entity in data["_entities"])
    # parents, children and spouse of the readable parent; the relatives' own records come
    # with those joins.
    assert database.queries - before == 3


async def test_service_sdl_declares_federation_directives(population: Client) -> None:
    sdl = (await population.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert 'address: Address @requiresScopes(scopes: [["address:read"]])' in sdl
    assert 'name: PersonName @requiresScopes(scopes: [["identity:read"]])' in sdl
    assert (
        "children: [Citizen!]! @listSize(assumedSize: 10) "
        '@requiresScopes(scopes: [["family:read"]])' in sdl
    )
    assert "me: Citizen @authenticated" in sdl
    assert "citizen(personalId: ID!): Citizen @authenticated" in sdl
    assert (
        'reportMove(input: ReportMoveInput!): Citizen! @policy(policies: [["citizen:self"]])' in sdl
    )
    assert "https://specs.apollo.dev/federation/v2.9" in sdl
