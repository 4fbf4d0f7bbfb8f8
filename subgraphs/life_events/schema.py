"""The life-events schema: `Citizen.lifeEvents` over other agencies' fields, and the catalogue.

The types below other than `LifeEvent` and `JourneyStep` only declare, as `@external`, the
fields the rules need from the agencies that own them; they must keep those agencies' names
and types, which a test checks against the owners' schemas.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Cost

from subgraphs.common.categories import CATEGORIES, read_scope
from subgraphs.common.context import AgencyContext
from subgraphs.common.schema import federated_schema, list_size
from subgraphs.life_events import events, journeys
from subgraphs.life_events.events import LifeEventKind
from subgraphs.life_events.facts import CitizenFacts, facts_from_representation
from subgraphs.life_events.journeys import JourneyStatus

Info = strawberry.Info[AgencyContext[None], None]

# The rules' own enums become the GraphQL enums (registered in place), so the rules stay
# plain Python and the schema can never list a kind or status the rules don't know.
strawberry.enum(LifeEventKind)
strawberry.enum(JourneyStatus)

# What `lifeEvents` reads from the other agencies, in their field names.
REQUIRED_FIELDS = (
    "dateOfBirth dateOfDeath address { since } "
    "children { personalId dateOfBirth dateOfDeath } "
    "family { parents { personalId dateOfDeath } spouse { personalId dateOfDeath } } "
    "employments { employer startedOn endedOn } taxCard { validFrom } "
    "benefits { kind status validFrom concerns { personalId } } "
    "studies { institution startedOn } "
    "companies { role company { name registeredOn dissolvedOn } } "
    "drivingLicence { validUntil }"
)


# --- owned by other agencies, declared for @requires ---------------------------------


@strawberry.type
class Address:
    since: date = strawberry.federation.field(external=True)


@strawberry.type
class Family:
    parents: list[Citizen] = strawberry.federation.field(external=True)
    spouse: Citizen | None = strawberry.federation.field(external=True)


@strawberry.type
class Employment:
    employer: str = strawberry.federation.field(external=True)
    started_on: date = strawberry.federation.field(external=True)
    ended_on: date | None = strawberry.federation.field(external=True)


@strawberry.type
class TaxCard:
    valid_from: date = strawberry.federation.field(external=True)


# Same values as social insurance's enums: they are one type in the supergraph.
@strawberry.enum
class BenefitKind(Enum):
    CHILD_BENEFIT = "CHILD_BENEFIT"
    PARENTAL_ALLOWANCE = "PARENTAL_ALLOWANCE"
    UNEMPLOYMENT_BENEFIT = "UNEMPLOYMENT_BENEFIT"
    HOUSING_ALLOWANCE = "HOUSING_ALLOWANCE"
    PENSION = "PENSION"
    SURVIVORS_PENSION = "SURVIVORS_PENSION"
    STUDENT_AID = "STUDENT_AID"


@strawberry.enum
class BenefitStatus(Enum):
    APPLIED = "APPLIED"
    GRANTED = "GRANTED"
    REJECTED = "REJECTED"
    ENDED = "ENDED"


@strawberry.type
class Benefit:
    kind: BenefitKind = strawberry.federation.field(external=True)
    status: BenefitStatus = strawberry.federation.field(external=True)
    valid_from: date | None = strawberry.federation.field(external=True)
    concerns: Citizen | None = strawberry.federation.field(external=True)


@strawberry.type
class Study:
    institution: str = strawberry.federation.field(external=True)
    started_on: date = strawberry.federation.field(external=True)


# Same values as the business register's enum.
@strawberry.enum
class CompanyRoleKind(Enum):
    OWNER = "OWNER"
    BOARD_MEMBER = "BOARD_MEMBER"


@strawberry.type
class Company:
    name: str = strawberry.federation.field(external=True)
    registered_on: date = strawberry.federation.field(external=True)
    dissolved_on: date | None = strawberry.federation.field(external=True)


@strawberry.type
class CompanyRole:
    role: CompanyRoleKind = strawberry.federation.field(external=True)
    company: Company = strawberry.federation.field(external=True)


@strawberry.type
class DrivingLicence:
    valid_until: date = strawberry.federation.field(external=True)


# --- owned here ----------------------------------------------------------------------


@strawberry.type
class JourneyStep:
    agency: str
    service: str
    status: JourneyStatus
    explanation: str = strawberry.field(description="The rule that decided the status.")
    due_by: date | None
    action: str | None = strawberry.field(description="The mutation call that acts on it.")


@strawberry.type
class LifeEvent:
    # Whose life event it is: what it says is that citizen's data.
    citizen: strawberry.Private[str]
    concerns_id: strawberry.Private[str | None]
    kind: LifeEventKind
    occurred_on: date | None
    journey: list[JourneyStep] = strawberry.field(directives=[list_size(8)])

    @strawberry.field(
        description="Whom the event is about when not the citizen: the newborn, the deceased. "
        "Only the key: that person's own data is theirs to disclose."
    )
    def concerns(self, info: Info) -> Citizen | None:
        info.context.require_readable(self.citizen)
        return Citizen(personal_id=strawberry.ID(self.concerns_id)) if self.concerns_id else None


def _external() -> Any:
    return strawberry.federation.field(external=True, default=None)


def _external_list() -> Any:
    return strawberry.federation.field(external=True, default_factory=list)


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID
    date_of_birth: date | None = _external()
    date_of_death: date | None = _external()
    address: Address | None = _external()
    children: list[Citizen] = _external_list()
    family: Family | None = _external()
    employments: list[Employment] = _external_list()
    tax_card: TaxCard | None = _external()
    benefits: list[Benefit] = _external_list()
    studies: list[Study] = _external_list()
    companies: list[CompanyRole] = _external_list()
    driving_licence: DrivingLicence | None = _external()
    facts: strawberry.Private[CitizenFacts | None] = None

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Citizen:
        facts = facts_from_representation(representation)
        return cls(personal_id=strawberry.ID(facts.personal_id), facts=facts)

    @strawberry.federation.field(
        requires=[REQUIRED_FIELDS],
        # Events reveal what they are derived from, so reading them needs every category read.
        requires_scopes=read_scope(*CATEGORIES),
        description="Recent life events, latest first, each with what every agency does "
        "or needs about it.",
        # Deriving them reads the @requires selection above from every agency (about 80 by
        # the cost rules, once per citizen); the gateway counts a weight per event, so that
        # cost is spread over the 10 events assumed.
        directives=[list_size(10), Cost(weight=8)],
    )
    def life_events(self, info: Info) -> list[LifeEvent]:
        # The facts arrived from the gateway, but whose they are decides who may see what
        # they add up to.
        info.context.require_readable(self.personal_id)
        if self.facts is None:
            return []
        today = info.context.today()
        return [
            LifeEvent(
                citizen=self.personal_id,
                concerns_id=occurrence.concerns,
                kind=occurrence.kind,
                occurred_on=occurrence.occurred_on,
                journey=[
                    JourneyStep(
                        agency=step.agency,
                        service=step.service,
                        status=step.status,
                        explanation=step.explanation,
                        due_by=step.due_by,
                        action=step.action,
                    )
                    for step in journeys.journey(self.facts, occurrence, today)
                ],
            )
            for occurrence in events.detect(self.facts, today)
        ]


@strawberry.type
class Query:
    @strawberry.field(description="Every kind of life event the citizen account follows.")
    def life_event_catalogue(self) -> list[LifeEventKind]:
        return list(LifeEventKind)


schema: Schema = federated_schema(query=Query, types=[Citizen])
