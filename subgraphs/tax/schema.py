"""The tax administration's schema: `Citizen` extended with income, decisions and the tax card."""

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
from subgraphs.common.errors import BadUserInput
from subgraphs.common.money import from_cents
from subgraphs.common.policies import citizens_own_token
from subgraphs.common.schema import federated_schema, list_size
from subgraphs.tax import store
from subgraphs.tax.loaders import TaxLoaders

Info = strawberry.Info[AgencyContext[TaxLoaders], None]

MAX_WITHHOLDING_RATE = 60.0
_MAX_REASON = 200


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@strawberry.enum
class IncomeSource(Enum):
    SALARY = "SALARY"
    BUSINESS = "BUSINESS"
    PENSION = "PENSION"
    BENEFIT = "BENEFIT"
    CAPITAL = "CAPITAL"


@strawberry.type
class IncomeItem:
    source: IncomeSource
    payer: str
    amount: Decimal


@strawberry.type
class Income:
    year: int
    total: Decimal
    by_source: list[IncomeItem] = strawberry.field(directives=[list_size(10)])

    @classmethod
    def from_rows(cls, year: int, rows: list[sqlite3.Row]) -> Income:
        items = [
            IncomeItem(
                source=IncomeSource(row["source"]),
                payer=row["payer"],
                amount=from_cents(row["amount_cents"]),
            )
            for row in rows
        ]
        total = from_cents(sum(int(row["amount_cents"]) for row in rows))
        return cls(year=year, total=total, by_source=items)


@strawberry.type
class Employment:
    employer: str
    started_on: date
    ended_on: date | None


@strawberry.enum
class TaxDecisionKind(Enum):
    REFUND = "REFUND"
    AMOUNT_DUE = "AMOUNT_DUE"
    NO_BALANCE = "NO_BALANCE"


@strawberry.type
class TaxDecision:
    year: int
    kind: TaxDecisionKind
    amount: Decimal
    issued_on: date
    due_by: date | None = strawberry.field(description="When an amount due must be paid.")


@strawberry.type
class TaxCard:
    withholding_rate: float = strawberry.field(description="Percent withheld from pay.")
    valid_from: date
    reason: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TaxCard:
        return cls(
            withholding_rate=float(row["rate_percent"]),
            valid_from=date.fromisoformat(row["valid_from"]),
            reason=row["reason"],
        )


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Citizen:
        # Nothing to load, and nothing disclosed but the key: every field below applies the
        # access rule and batches its own query by personal ID.
        return cls(personal_id=strawberry.ID(str(representation["personalId"])))

    @strawberry.federation.field(
        requires_scopes=read_scope("income"),
        description="Earned income of one year (the latest with any when omitted).",
    )
    async def income(self, info: Info, year: int | None = None) -> Income | None:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.incomes.load(self.personal_id)
        if not rows:
            return None
        wanted = year if year is not None else max(int(row["year"]) for row in rows)
        of_year = [row for row in rows if row["year"] == wanted]
        return Income.from_rows(wanted, of_year) if of_year else None

    @strawberry.federation.field(
        requires_scopes=read_scope("income"),
        description="Employments, latest first.",
        directives=[list_size(20)],
    )
    async def employments(self, info: Info) -> list[Employment]:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.employments.load(self.personal_id)
        return [
            Employment(
                employer=row["employer"],
                started_on=date.fromisoformat(row["started_on"]),
                ended_on=_date(row["ended_on"]),
            )
            for row in rows
        ]

    @strawberry.federation.field(requires_scopes=read_scope("tax"), directives=[list_size(10)])
    async def tax_decisions(self, info: Info) -> list[TaxDecision]:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.decisions.load(self.personal_id)
        return [
            TaxDecision(
                year=row["year"],
                kind=TaxDecisionKind(row["kind"]),
                amount=from_cents(row["amount_cents"]),
                issued_on=date.fromisoformat(row["issued_on"]),
                due_by=_date(row["due_by"]),
            )
            for row in rows
        ]

    @strawberry.federation.field(
        requires_scopes=read_scope("tax"), description="Percent withheld from pay."
    )
    async def withholding_rate(self, info: Info) -> float | None:
        info.context.require_readable(self.personal_id)
        row = await info.context.loaders.tax_card.load(self.personal_id)
        return float(row["rate_percent"]) if row is not None else None

    @strawberry.federation.field(requires_scopes=read_scope("tax"))
    async def tax_card(self, info: Info) -> TaxCard | None:
        info.context.require_readable(self.personal_id)
        row = await info.context.loaders.tax_card.load(self.personal_id)
        return TaxCard.from_row(row) if row is not None else None


@strawberry.input
class ChangeWithholdingRateInput:
    withholding_rate: float = strawberry.field(description="Percent, 0 to 60.")
    reason: str


def check_withholding_change(rate: float, reason: str) -> str:
    """The cleaned reason if the change is acceptable; otherwise `BadUserInput`."""
    if not 0.0 <= rate <= MAX_WITHHOLDING_RATE:
        raise BadUserInput(
            f"withholdingRate must be between 0 and {MAX_WITHHOLDING_RATE:g} percent, got {rate:g}",
            field="withholdingRate",
        )
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > _MAX_REASON:
        raise BadUserInput(f"reason must be 1 to {_MAX_REASON} characters", field="reason")
    return cleaned


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        policy=citizens_own_token(),
        description="Change the signed-in citizen's withholding rate from today, "
        "e.g. after starting a business or losing a job.",
    )
    async def change_withholding_rate(
        self, info: Info, input: ChangeWithholdingRateInput
    ) -> TaxCard:
        me = info.context.acting_citizen()
        reason = check_withholding_change(input.withholding_rate, input.reason)
        today = info.context.today()
        loaders = info.context.loaders
        await loaders.db.write(
            lambda connection: store.replace_tax_card(
                connection, me, input.withholding_rate, today, reason
            )
        )
        loaders.tax_card.clear(me)
        row = await loaders.tax_card.load(me)
        assert row is not None, "the tax card was just written"
        return TaxCard.from_row(row)


schema: Schema = federated_schema(mutation=Mutation, types=[Citizen])
