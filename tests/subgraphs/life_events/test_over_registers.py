"""Life events over the seeded registers, fetched the way a gateway resolves `@requires`:
each owner's share of the required fields through `_entities`, merged into one representation.
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
from tests.subgraphs.helpers import Client, query_db

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


async def test_every_kind_of_event_occurs_in_the_seeded_population(
    open_app: OpenApp, settings: AgencySettings, seeded_dir: Path
) -> None:
    ids = [r[0] for r in query_db(seeded_dir, "population", "SELECT personal_id FROM person")]
    representations: list[dict[str, Any]] = [
        {"__typename": "Citizen", "personalId": pid} for pid in ids
    ]
    for factory, selection in OWNED_SELECTIONS.items():
        data = await open_app(factory, settings).data(
            ENTITIES % selection, {"r": [{"__typename": "Citizen", "personalId": p} for p in ids]}
        )
        for representation, fields in zip(representations, data["_entities"], strict=True):
            representation.update(fields or {})

    life_events = open_app(create_life_events_app, settings)
    data = await life_events.data(
        ENTITIES % "lifeEvents { kind journey { status service action } }",
        {"r": representations},
    )
    kinds = Counter(
        event["kind"] for citizen in data["_entities"] for event in citizen["lifeEvents"]
    )
    assert set(kinds) == {kind.value for kind in LifeEventKind}, kinds
    statuses = Counter(
        step["status"]
        for citizen in data["_entities"]
        for event in citizen["lifeEvents"]
        for step in event["journey"]
    )
    assert {"DONE_AUTOMATICALLY", "ACTION_NEEDED", "ELIGIBLE"} <= set(statuses), statuses
