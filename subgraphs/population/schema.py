"""The population register's schema: `me`, `citizen` and `reportMove`."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.federation import Schema

from subgraphs.common.errors import Unauthenticated
from subgraphs.common.policies import citizens_own_token
from subgraphs.common.schema import federated_schema
from subgraphs.population.moves import MoveRequest, check_move, record_move
from subgraphs.population.types import Citizen, Info


@strawberry.input
class ReportMoveInput:
    street: str
    postcode: str = strawberry.field(description="Five digits.")
    city: str
    municipality: str
    moved_on: date = strawberry.field(description="Moving day: today or within the last year.")


@strawberry.type
class Query:
    @strawberry.federation.field(
        authenticated=True,
        description="The data subject of the sign-in: the citizen, or whom a delegate or "
        "platform acts for; null when nobody is signed in.",
    )
    async def me(self, info: Info) -> Citizen | None:
        personal_id = info.context.identity.subject
        if personal_id is None:
            return None
        record = await info.context.loaders.person.load(personal_id)
        return Citizen.of(record) if record is not None else None

    @strawberry.federation.field(
        authenticated=True,
        description="A citizen the caller may read: the data subject, or a minor in the "
        "signed-in citizen's care; anyone else is refused.",
    )
    async def citizen(self, info: Info, personal_id: strawberry.ID) -> Citizen | None:
        if info.context.identity.subject is None:
            raise Unauthenticated("no citizen is signed in")
        info.context.require_readable(personal_id)
        record = await info.context.loaders.person.load(personal_id)
        return Citizen.of(record) if record is not None else None


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        policy=citizens_own_token(),
        description="Report a move once; every agency reads the new address from here. "
        "Children under 18 living with the citizen move too.",
    )
    async def report_move(self, info: Info, input: ReportMoveInput) -> Citizen:
        me = info.context.acting_citizen()
        address = check_move(
            MoveRequest(
                street=input.street,
                postcode=input.postcode,
                city=input.city,
                municipality=input.municipality,
                moved_on=input.moved_on,
            ),
            info.context.today(),
        )
        loaders = info.context.loaders
        moved = await loaders.db.write(lambda connection: record_move(connection, me, address))
        for personal_id in moved:
            loaders.addresses.clear(personal_id)
        record = await loaders.person.load(me)
        assert record is not None, "record_move checked the citizen exists"
        return Citizen.of(record)


schema: Schema = federated_schema(query=Query, mutation=Mutation, types=[Citizen])
