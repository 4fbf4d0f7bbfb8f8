"""The population register's GraphQL types: the `Citizen` entity it owns and its parts."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry

from subgraphs.common.categories import read_scope
from subgraphs.common.context import AgencyContext
from subgraphs.common.schema import list_size
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
    """A readable citizen's parents, children and spouse, each disclosed as a relative."""

    personal_id: strawberry.Private[str]

    @strawberry.field(directives=[list_size(2)])
    async def parents(self, info: Info) -> list[Citizen]:
        info.context.require_readable(self.personal_id)
        return Citizen.relatives(await info.context.loaders.parents.load(self.personal_id))

    @strawberry.field(directives=[list_size(10)])
    async def children(self, info: Info) -> list[Citizen]:
        info.context.require_readable(self.personal_id)
        return Citizen.relatives(await info.context.loaders.children.load(self.personal_id))

    @strawberry.field
    async def spouse(self, info: Info) -> Citizen | None:
        info.context.require_readable(self.personal_id)
        record = await info.context.loaders.spouse.load(self.personal_id)
        return Citizen.relative(record) if record is not None else None


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    """A person in the register, as far as the caller may see them.

    Every field but `personalId` applies the access rule (common/access.py) to this person.
    A relative reached from a readable citizen (`related`) also shows `name`, `dateOfBirth`
    and `dateOfDeath`: the relationship discloses who they are and whether they are alive (the
    death of a parent or a spouse is the citizen's own life event), nothing else about them.
    """

    # The personal identity code is the citizen's identity: a platform reads it only inside
    # the identity category (the gateway enforces this; the key is never scoped internally).
    personal_id: strawberry.ID = strawberry.federation.field(requires_scopes=read_scope("identity"))
    # None only for someone the caller may not see at all: not even whether they exist.
    record: strawberry.Private[PersonRecord | None]
    related: strawberry.Private[bool] = False

    @classmethod
    def of(cls, record: PersonRecord) -> Citizen:
        return cls(personal_id=strawberry.ID(record.personal_id), record=record)

    @classmethod
    def relative(cls, record: PersonRecord) -> Citizen:
        return cls(personal_id=strawberry.ID(record.personal_id), record=record, related=True)

    @classmethod
    def relatives(cls, records: list[PersonRecord]) -> list[Citizen]:
        return [cls.relative(record) for record in records]

    @classmethod
    async def resolve_reference(cls, info: Info, **representation: Any) -> Citizen | None:
        personal_id = str(representation["personalId"])
        context = info.context
        loaders = context.loaders
        if context.may_read(personal_id):
            record = await loaders.person.load(personal_id)
            return cls.of(record) if record is not None else None
        # Asked for by key alone (a benefit's `concerns`, a life event's relative), a person is
        # disclosed as a relative only if the register says they are one of someone readable.
        readable = context.identity.readable_people(context.today())
        if personal_id in await loaders.relatives_of(readable):
            record = await loaders.person.load(personal_id)
            assert record is not None, "relatives come from the register"
            return cls.relative(record)
        return cls(personal_id=strawberry.ID(personal_id), record=None)

    def _readable(self, info: Info) -> PersonRecord:
        info.context.require_readable(self.personal_id)
        assert self.record is not None, "a readable citizen's record is loaded"
        return self.record

    def _identified(self, info: Info) -> PersonRecord:
        if self.related and self.record is not None:
            return self.record
        return self._readable(info)

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def name(self, info: Info) -> PersonName | None:
        record = self._identified(info)
        return PersonName(given=record.given_name, family=record.family_name)

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def date_of_birth(self, info: Info) -> date | None:
        return self._identified(info).date_of_birth

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def sex(self, info: Info) -> Sex | None:
        return Sex(self._readable(info).sex)

    @strawberry.federation.field(
        requires_scopes=read_scope("identity"),
        description="ISO 3166-1 alpha-2 code of the citizenship.",
    )
    def nationality(self, info: Info) -> str | None:
        return self._readable(info).nationality

    @strawberry.federation.field(requires_scopes=read_scope("identity"))
    def date_of_death(self, info: Info) -> date | None:
        return self._identified(info).date_of_death

    @strawberry.federation.field(requires_scopes=read_scope("address"))
    async def address(self, info: Info) -> Address | None:
        record = self._readable(info)
        history = await info.context.loaders.addresses.load(record.personal_id)
        return Address.from_record(history[0]) if history else None

    @strawberry.federation.field(
        requires_scopes=read_scope("address"),
        description="Every address, newest first.",
        directives=[list_size(20)],
    )
    async def address_history(self, info: Info) -> list[Address]:
        record = self._readable(info)
        history = await info.context.loaders.addresses.load(record.personal_id)
        return [Address.from_record(entry) for entry in history]

    @strawberry.federation.field(requires_scopes=read_scope("family"))
    def family(self, info: Info) -> Family | None:
        return Family(personal_id=self._readable(info).personal_id)

    @strawberry.federation.field(requires_scopes=read_scope("family"), directives=[list_size(10)])
    async def children(self, info: Info) -> list[Citizen]:
        record = self._readable(info)
        return Citizen.relatives(await info.context.loaders.children.load(record.personal_id))

    @strawberry.federation.field(
        requires_scopes=read_scope("family"),
        description="Minors in this citizen's care: their own living children under 18.",
        directives=[list_size(10)],
    )
    async def guardian_of(self, info: Info) -> list[Citizen]:
        record = self._readable(info)
        if record.date_of_death is not None:
            return []
        today = info.context.today()
        children = await info.context.loaders.children.load(record.personal_id)
        return [Citizen.relative(child) for child in children if child.is_living_minor_on(today)]
