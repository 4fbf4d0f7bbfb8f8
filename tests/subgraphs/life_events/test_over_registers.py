"""Life events over the seeded registers, fetched the way a gateway resolves `@requires`:
each owner's share of the required fields through `_entities`, merged into one representation,
every request with the identity token of the citizen whose events they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from subgraphs.business.app import create_business_app
from subgraphs.common.settings import AgencySettings
from subgraphs.life_events.app import create_life_events_app
from subgraphs.life_events.events import LifeEventKind
from subgraphs.population.app import create_population_app
from subgraphs.social_insurance.app import create_social_insurance_app
from subgraphs.tax.app import create_tax_app
from subgraphs.transport.app import create_transport_app
from tests.subgraphs.conftest import AppFactory
from tests.subgraphs.helpers import Client, entities, query_db

OpenApp = Callable[[AppFactory, AgencySettings], Client]

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"

# REQUIRED_FIELDS of Citizen.lifeEvents, split by the subgraph that resolves each field.
OWNED_SELECTIONS: dict[AppFactory, str] = {
    create_population_app: "dateOfBirth dateOfDeath address { since } "
    "children { personalId dateOfBirth dateOfDeath } "
    "family { parents { personalId dateOfDeath } spouse { personalId dateOfDeath } }",
    create_tax_app: "employments { employer startedOn endedOn } taxCard { validFrom }",
    create_social_insurance_app: "benefits { kind status validFrom concerns { personalId } } "
    "studies { institution startedOn }",
    create_business_app: "companies { role company { name registeredOn dissolvedOn } }",
    create_transport_app: "drivingLicence { validUntil }",
}


async def _representation(owners: list[tuple[Client, str]], personal_id: str) -> dict[str, Any]:
    """What the gateway would send for `@requires`: each owner's fields, asked for with the
    citizen's own token. A field the owner refuses arrives as null."""
    representation: dict[str, Any] = {"__typename": "Citizen", "personalId": personal_id}
    for client, selection in owners:
        body = await client.post(
            ENTITIES % selection, {"r": entities(personal_id)}, identity=personal_id
        )
        # A relationship discloses what these need of a relative (who they are, whether
        # they are alive), so the citizen's own token reads all of it.
        assert "errors" not in body, body["errors"]
        representation.update(body["data"]["_entities"][0])
    return representation


async def test_every_kind_of_event_occurs_in_the_seeded_population(
    open_app: OpenApp, settings: AgencySettings, seeded_dir: Path
) -> None:
    ids = [r[0] for r in query_db(seeded_dir, "population", "SELECT personal_id FROM person")]
    owners = [(open_app(f, settings), selection) for f, selection in OWNED_SELECTIONS.items()]
    life_events = open_app(create_life_events_app, settings)
    citizens = []
    for pid in ids:
        data = await life_events.data(
            ENTITIES % "lifeEvents { kind journey { status service action } }",
            {"r": [await _representation(owners, pid)]},
            identity=pid,
        )
        citizens.append(data["_entities"][0])
    kinds = Counter(event["kind"] for citizen in citizens for event in citizen["lifeEvents"])
    assert set(kinds) == {kind.value for kind in LifeEventKind}, kinds
    statuses = Counter(
        step["status"]
        for citizen in citizens
        for event in citizen["lifeEvents"]
        for step in event["journey"]
    )
    assert {"DONE_AUTOMATICALLY", "ACTION_NEEDED", "ELIGIBLE"} <= set(statuses), statuses
