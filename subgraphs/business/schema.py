"""The business register's schema: `Citizen.companies`, each company and its events."""

from __future__ import annotations

import sqlite3
from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation import Schema

from subgraphs.business.loaders import BusinessLoaders
from subgraphs.common.categories import read_scope
from subgraphs.common.context import AgencyContext
from subgraphs.common.schema import federated_schema, list_size

Info = strawberry.Info[AgencyContext[BusinessLoaders], None]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@strawberry.enum
class CompanyForm(Enum):
    SOLE_TRADER = "SOLE_TRADER"
    LIMITED_COMPANY = "LIMITED_COMPANY"
    PARTNERSHIP = "PARTNERSHIP"


@strawberry.enum
class CompanyRoleKind(Enum):
    OWNER = "OWNER"
    BOARD_MEMBER = "BOARD_MEMBER"


@strawberry.enum
class BusinessEventKind(Enum):
    REGISTERED = "REGISTERED"
    BOARD_CHANGED = "BOARD_CHANGED"
    DISSOLVED = "DISSOLVED"


@strawberry.type
class BusinessEvent:
    kind: BusinessEventKind
    occurred_on: date
    description: str


@strawberry.type
class Company:
    business_id: strawberry.ID
    name: str
    form: CompanyForm
    registered_on: date
    dissolved_on: date | None

    @strawberry.field(
        description="What the register recorded about the company, latest first.",
        directives=[list_size(20)],
    )
    async def events(self, info: Info) -> list[BusinessEvent]:
        rows = await info.context.loaders.events.load(str(self.business_id))
        return [
            BusinessEvent(
                kind=BusinessEventKind(row["kind"]),
                occurred_on=date.fromisoformat(row["occurred_on"]),
                description=row["description"],
            )
            for row in rows
        ]


@strawberry.type
class CompanyRole:
    role: CompanyRoleKind
    since: date
    until: date | None
    company: Company

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CompanyRole:
        company = Company(
            business_id=strawberry.ID(row["business_id"]),
            name=row["name"],
            form=CompanyForm(row["form"]),
            registered_on=date.fromisoformat(row["registered_on"]),
            dissolved_on=_date(row["dissolved_on"]),
        )
        return cls(
            role=CompanyRoleKind(row["role"]),
            since=date.fromisoformat(row["since"]),
            until=_date(row["until"]),
            company=company,
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
        requires_scopes=read_scope("business"),
        description="Companies the citizen owns or sits on the board of, newest role first.",
        directives=[list_size(10)],
    )
    async def companies(self, info: Info) -> list[CompanyRole]:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.roles.load(self.personal_id)
        return [CompanyRole.from_row(row) for row in rows]


schema: Schema = federated_schema(types=[Citizen])
