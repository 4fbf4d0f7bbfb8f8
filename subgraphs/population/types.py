"""The population register's GraphQL types: the `Citizen` entity it owns and its parts."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry

from subgraphs.common.categories import read_scope
from subgraphs.common.context import AgencyContext
from subgraphs.population.loaders import PopulationLoaders
from subgraphs.population.store import AddressRecord, PersonRecord

Info = strawberry.Info[AgencyContext[PopulationLoaders], None]


@strawberry.enum
class Sex(Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    UNKNOWN = "UNKNOWN"


@strawberry.type
class PersonName:
    given: str
    family: str


@strawberry.type
class Address:
    street: str
    postcode: str
    city: str
    municipality: str
    since: date

    @classmethod
    def from_record(cls, record: AddressRecord) -> Address:
        return cls(
            street=record.street,
            postcode=record.postcode,
            city=record.city,
            municipality=record.municipality,
            since=record.since,
        )


@strawberry.type
class Family:
    personal_id: strawberry.Private[str]

    @strawberry.field
    async def parents(self, info: Info) -> list[Citizen]:
        return Citizen.from_records(await info.context.loaders.parents.load(self.personal_id))

    @strawberry.field
    async def children(self, info: Info) -> list[Citizen]:
        return Citizen.from_records(await info.context.loaders.children.load(self.personal_id))

    @strawberry.field
    async def spouse(self, info: Info) -> Citizen | None:
        record = await info.context.loaders.spouse.load(self.personal_id)
        return Citizen.from_record(record) if record is not None else None


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID
    record: strawberry.Private[PersonRecord]

    @classmethod
    def from_record(cls, record: PersonRecord) -> Citizen:
        return cls(personal_id=strawberry.ID(record.personal_id), record=record)

    @classmethod
    def from_records(cls, records: list[PersonRecord]) -> list[Citizen]:
        return [cls.from_record(record) for record in records]

    @classmethod
    async def resolve_reference(cls, info: Info, **representation: Any) -> Citizen | None:
        record = await info.context.loaders.person.load(str(representation["personalId"]))
        return cls.from_record(record) if record is not None else None

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def name(self) -> PersonName | None:
        return PersonName(given=self.record.given_name, family=self.record.family_name)

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def date_of_birth(self) -> date | None:
        return self.record.date_of_birth

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def sex(self) -> Sex | None:
        return Sex(self.record.sex)

    @strawberry.federation.field(
        requires_scopes=read_scope("identity"),
        description="ISO 3166-1 alpha-2 code of the citizenship.",
    )
    def nationality(self) -> str | None:
        return self.record.nationality

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def date_of_death(self) -> date | None:
        return self.record.date_of_death

    @strawberry.federation.field(requires_scopes=read_scope("address"))
    async def address(self, info: Info) -> Address | None:
        history = await info.context.loaders.addresses.load(self.record.personal_id)
        return Address.from_record(history[0]) if history else None

    @strawberry.federation.field(
        requires_scopes=read_scope("address"), description="Every address, newest first."
    )
    async def address_history(self, info: Info) -> list[Address]:
        history = await info.context.loaders.addresses.load(self.record.personal_id)
        return [Address.from_record(record) for record in history]

    @strawberry.federation.field(requires_scopes=read_scope("family"))
    def family(self) -> Family | None:
        return Family(personal_id=self.record.personal_id)

    @strawberry.federation.field(requires_scopes=read_scope("family"))
    async def children(self, info: Info) -> list[Citizen]:
        return Citizen.from_records(await info.context.loaders.children.load(self.personal_id))

    @strawberry.federation.field(
        requires_scopes=read_scope("family"),
        description="Minors in this citizen's care: their own living children under 18.",
    )
    async def guardian_of(self, info: Info) -> list[Citizen]:
        if self.record.date_of_death is not None:
            return []
        today = info.context.today()
        children = await info.context.loaders.children.load(self.personal_id)
        return [Citizen.from_record(child) for child in children if child.is_living_minor_on(today)]
