"""Social insurance's schema: `Citizen.benefits`, `Citizen.studies` and `applyForBenefit`."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation import Schema

from subgraphs.common.categories import read_scope
from subgraphs.common.context import AgencyContext
from subgraphs.common.money import from_cents
from subgraphs.common.policies import citizens_own_token
from subgraphs.common.schema import federated_schema, list_size
from subgraphs.social_insurance.applications import check_application, file_application
from subgraphs.social_insurance.loaders import SocialInsuranceLoaders

Info = strawberry.Info[AgencyContext[SocialInsuranceLoaders], None]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


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
class BenefitDecision:
    decided_on: date
    granted: bool
    explanation: str


@strawberry.type
class Payment:
    paid_on: date
    amount: Decimal


@strawberry.type
class Benefit:
    # Whose benefit it is: its details are that person's data, whoever it concerns.
    applicant: strawberry.Private[str]
    concerns_id: strawberry.Private[str | None]
    id: strawberry.ID
    kind: BenefitKind
    status: BenefitStatus
    applied_on: date
    valid_from: date | None
    valid_until: date | None
    monthly_amount: Decimal | None
    decision: BenefitDecision | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Benefit:
        decided_on = _date(row["decided_on"])
        status = BenefitStatus(row["status"])
        decision = None
        if decided_on is not None:
            decision = BenefitDecision(
                decided_on=decided_on,
                granted=status in (BenefitStatus.GRANTED, BenefitStatus.ENDED),
                explanation=row["decision_explanation"] or "",
            )
        cents = row["monthly_cents"]
        return cls(
            applicant=row["personal_id"],
            concerns_id=row["concerns_id"] or None,
            id=strawberry.ID(str(row["id"])),
            kind=BenefitKind(row["kind"]),
            status=status,
            applied_on=date.fromisoformat(row["applied_on"]),
            valid_from=_date(row["valid_from"]),
            valid_until=_date(row["valid_until"]),
            monthly_amount=from_cents(cents) if cents is not None else None,
            decision=decision,
        )

    @strawberry.field(
        description="Whom the benefit is for or because of: the child, the late spouse. "
        "Only the key: that person's own data is theirs to disclose."
    )
    def concerns(self, info: Info) -> Citizen | None:
        info.context.require_readable(self.applicant)
        return Citizen(personal_id=strawberry.ID(self.concerns_id)) if self.concerns_id else None

    @strawberry.field(description="Payments, latest first.", directives=[list_size(24)])
    async def payments(self, info: Info) -> list[Payment]:
        info.context.require_readable(self.applicant)
        rows = await info.context.loaders.payments.load(str(self.id))
        return [
            Payment(
                paid_on=date.fromisoformat(row["paid_on"]),
                amount=from_cents(row["amount_cents"]),
            )
            for row in rows
        ]


@strawberry.type
class Study:
    institution: str
    started_on: date
    ended_on: date | None


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Citizen:
        # Nothing to load, and nothing disclosed but the key: every field below applies the
        # access rule and batches its own query by personal ID.
        return cls(personal_id=strawberry.ID(str(representation["personalId"])))

    @strawberry.federation.field(
        requires_scopes=read_scope("benefits"),
        description="Applications and grants, latest first.",
        directives=[list_size(10)],
    )
    async def benefits(self, info: Info) -> list[Benefit]:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.benefits.load(self.personal_id)
        return [Benefit.from_row(row) for row in rows]

    @strawberry.federation.field(
        requires_scopes=read_scope("benefits"),
        description="Study rights reported by educational institutions, latest first.",
        directives=[list_size(5)],
    )
    async def studies(self, info: Info) -> list[Study]:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.studies.load(self.personal_id)
        return [
            Study(
                institution=row["institution"],
                started_on=date.fromisoformat(row["started_on"]),
                ended_on=_date(row["ended_on"]),
            )
            for row in rows
        ]


@strawberry.input
class ApplyForBenefitInput:
    kind: BenefitKind
    concerns: strawberry.ID | None = strawberry.field(
        default=None,
        description="Personal ID of the child (child benefit, parental allowance) "
        "or of the late relative (survivors' pension).",
    )
    starts_on: date | None = strawberry.field(
        default=None, description="From when; today when omitted. At most six months back."
    )


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        policy=citizens_own_token(),
        description="Apply for a benefit for the signed-in citizen.",
    )
    async def apply_for_benefit(self, info: Info, input: ApplyForBenefitInput) -> Benefit:
        me = info.context.acting_citizen()
        today = info.context.today()
        concerns = str(input.concerns) if input.concerns is not None else None
        application = check_application(me, input.kind.value, concerns, input.starts_on, today)
        loaders = info.context.loaders
        row = await loaders.db.write(
            lambda connection: file_application(connection, me, application, today)
        )
        loaders.benefits.clear(me)
        return Benefit.from_row(row)


schema: Schema = federated_schema(mutation=Mutation, types=[Citizen])
