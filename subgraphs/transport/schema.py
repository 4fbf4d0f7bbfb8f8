"""The transport agency's schema: `Citizen.drivingLicence` and `Citizen.vehicles`."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation import Schema

from subgraphs.common.categories import read_scope
from subgraphs.common.context import AgencyContext
from subgraphs.common.schema import federated_schema, list_size
from subgraphs.transport.loaders import TransportLoaders

Info = strawberry.Info[AgencyContext[TransportLoaders], None]


@strawberry.type
class DrivingLicence:
    number: str
    classes: list[str] = strawberry.field(description="Licence classes, e.g. AM, B, C.")
    issued_on: date
    valid_until: date
    is_valid: bool = strawberry.field(description="Whether it is valid today.")


@strawberry.enum
class VehicleRole(Enum):
    OWNER = "OWNER"
    HOLDER = "HOLDER"


@strawberry.type
class Vehicle:
    registration: str
    role: VehicleRole
    make: str
    model: str
    model_year: int
    first_registered: date
    inspection_due: date | None


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Citizen:
        # Nothing to load, and nothing disclosed but the key: every field below applies the
        # access rule and batches its own query by personal ID.
        return cls(personal_id=strawberry.ID(str(representation["personalId"])))

    @strawberry.federation.field(requires_scopes=read_scope("vehicles"))
    async def driving_licence(self, info: Info) -> DrivingLicence | None:
        info.context.require_readable(self.personal_id)
        row = await info.context.loaders.licence.load(self.personal_id)
        if row is None:
            return None
        valid_until = date.fromisoformat(row["valid_until"])
        return DrivingLicence(
            number=row["number"],
            classes=row["classes"].split(","),
            issued_on=date.fromisoformat(row["issued_on"]),
            valid_until=valid_until,
            is_valid=info.context.today() <= valid_until,
        )

    @strawberry.federation.field(
        requires_scopes=read_scope("vehicles"),
        description="Vehicles the citizen owns or holds, newest registration first.",
        directives=[list_size(5)],
    )
    async def vehicles(self, info: Info) -> list[Vehicle]:
        info.context.require_readable(self.personal_id)
        rows = await info.context.loaders.vehicles.load(self.personal_id)
        return [
            Vehicle(
                registration=row["registration"],
                role=VehicleRole(row["role"]),
                make=row["make"],
                model=row["model"],
                model_year=row["model_year"],
                first_registered=date.fromisoformat(row["first_registered"]),
                inspection_due=date.fromisoformat(row["inspection_due"])
                if row["inspection_due"]
                else None,
            )
            for row in rows
        ]


schema: Schema = federated_schema(types=[Citizen])
