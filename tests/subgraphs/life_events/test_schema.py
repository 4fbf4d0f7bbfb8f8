from __future__ import annotations

from collections.abc import Callable

import pytest
from graphql import EnumTypeDefinitionNode, ObjectTypeDefinitionNode, parse, print_ast

from subgraphs.business.schema import schema as business_schema
from subgraphs.common.categories import CATEGORIES
from subgraphs.common.settings import AgencySettings
from subgraphs.life_events.app import create_life_events_app
from subgraphs.life_events.schema import schema as life_events_schema
from subgraphs.population.schema import schema as population_schema
from subgraphs.social_insurance.schema import schema as social_insurance_schema
from subgraphs.tax.schema import schema as tax_schema
from subgraphs.transport.schema import schema as transport_schema
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client
from tests.subgraphs.people import ACCESS, ACCESS_IDS, Asks, People, assert_access

OpenApp = Callable[[AppFactory, AgencySettings], Client]

OWNERS = (population_schema, tax_schema, social_insurance_schema, business_schema, transport_schema)

LIFE_EVENTS = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Citizen {
      lifeEvents {
        kind occurredOn concerns { personalId }
        journey { agency service status explanation dueBy action }
      }
    }
  }
}
"""


@pytest.fixture
def life_events(open_app: OpenApp, settings: AgencySettings) -> Client:
    return open_app(create_life_events_app, settings)


async def test_catalogue(life_events: Client) -> None:
    data = await life_events.data("{ lifeEventCatalogue }")
    assert data["lifeEventCatalogue"] == [
        "BIRTH_OF_CHILD",
        "MOVING_HOUSE",
        "STARTING_STUDIES",
        "STARTING_BUSINESS",
        "CLOSING_BUSINESS",
        "LOSING_JOB",
        "RETIRING",
        "TURNING_18",
        "DEATH_OF_RELATIVE",
    ]


async def test_life_events_from_a_representation(life_events: Client) -> None:
    child = "20260901-0001"
    representation = {
        "__typename": "Citizen",
        "personalId": "19900101-0001",
        "dateOfBirth": "1990-01-01",
        "dateOfDeath": None,
        "address": {"since": "2026-10-01"},
        "children": [{"personalId": child, "dateOfBirth": "2026-09-01", "dateOfDeath": None}],
        "family": {"parents": [], "spouse": None},
        "employments": [],
        "taxCard": None,
        "benefits": [],
        "studies": [],
        "companies": [],
        "drivingLicence": None,
    }
    data = await life_events.data(LIFE_EVENTS, {"r": [representation]}, identity="19900101-0001")
    events = data["_entities"][0]["lifeEvents"]
    assert [(e["kind"], e["occurredOn"]) for e in events] == [
        ("MOVING_HOUSE", "2026-10-01"),
        ("BIRTH_OF_CHILD", "2026-09-01"),
    ]
    birth = events[1]
    assert birth["concerns"] == {"personalId": child}
    child_benefit = next(s for s in birth["journey"] if s["service"] == "Child benefit")
    assert child_benefit["status"] == "ELIGIBLE"
    assert child_benefit["agency"] == "social_insurance"
    assert child_benefit["action"].startswith("applyForBenefit(")


FIELDS = (
    "lifeEvents { kind occurredOn concerns { personalId } "
    "journey { agency service status explanation dueBy action } }"
)


@pytest.mark.parametrize(("asks", "person", "readable"), [c[1:4] for c in ACCESS], ids=ACCESS_IDS)
async def test_access_per_person(
    life_events: Client, people: People, asks: Asks, person: str, readable: bool
) -> None:
    await assert_access(life_events, people, asks, person, "lifeEvents", FIELDS, readable)


async def test_facts_of_someone_else_are_refused(life_events: Client) -> None:
    representation = {
        "__typename": "Citizen",
        "personalId": "19900101-0001",
        "dateOfBirth": "1990-01-01",
        "address": {"since": "2026-10-01"},
    }
    body = await life_events.post(LIFE_EVENTS, {"r": [representation]}, identity="19800101-0001")
    assert body["data"] == {"_entities": [None]}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["_entities", 0, "lifeEvents"]


async def test_health_without_a_store(life_events: Client) -> None:
    import httpx

    transport = httpx.ASGITransport(app=life_events.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agency") as client:
        response = await client.get("/health")
    assert response.status_code == 200


async def test_service_sdl_declares_requires_and_every_scope(life_events: Client) -> None:
    sdl = (await life_events.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert "dateOfBirth: Date @external" in sdl
    assert "benefits: [Benefit!]! @external" in sdl
    assert '@requires(fields: "dateOfBirth dateOfDeath address { since }' in sdl
    scopes = ", ".join(f'"{category}:read"' for category in CATEGORIES)
    assert f"@requiresScopes(scopes: [[{scopes}]])" in sdl


def _fields(sdl: str, *, external: bool) -> dict[tuple[str, str], str]:
    """(type, field) -> printed type, for fields that are (or aren't) @external."""
    found: dict[tuple[str, str], str] = {}
    for definition in parse(sdl).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            for field in definition.fields or ():
                is_external = any(d.name.value == "external" for d in field.directives or ())
                if is_external == external:
                    found[(definition.name.value, field.name.value)] = print_ast(field.type)
    return found


def _enums(sdl: str) -> dict[str, list[str]]:
    return {
        d.name.value: [v.name.value for v in d.values or ()]
        for d in parse(sdl).definitions
        if isinstance(d, EnumTypeDefinitionNode)
    }


def test_external_fields_match_their_owners() -> None:
    owned: dict[tuple[str, str], str] = {}
    for schema in OWNERS:
        owned.update(_fields(schema.as_str(), external=False))
    external = _fields(life_events_schema.as_str(), external=True)
    assert external, "life_events declares what it requires"
    for key, printed in external.items():
        assert owned.get(key) == printed, f"{key[0]}.{key[1]}: {printed} vs {owned.get(key)}"


def test_shared_enums_match_their_owners() -> None:
    mine = _enums(life_events_schema.as_str())
    owners: dict[str, list[str]] = {}
    for schema in OWNERS:
        owners.update(_enums(schema.as_str()))
    for name in ("BenefitKind", "BenefitStatus", "CompanyRoleKind"):
        assert mine[name] == owners[name], name
