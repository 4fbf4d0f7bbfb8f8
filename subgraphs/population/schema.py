"""The population register's schema: `me`, `citizen` and `reportMove`."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.federation import Schema

from subgraphs.common.errors import Forbidden
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
    @strawberry.federation.field(authenticated=True, description="The signed-in citizen.")
    async def me(self, info: Info) -> Citizen | None:
        personal_id = info.context.personal_id()
        if personal_id is None:
            return None
        record = await info.context.loaders.person.load(personal_id)
        return Citizen.from_record(record) if record is not None else None

    @strawberry.federation.field(
        authenticated=True,
        description="The signed-in citizen or a minor in their care; anyone else is refused.",
    )
    async def citizen(self, info: Info, personal_id: strawberry.ID) -> Citizen | None:
        # Scopes say which categories a caller may read, not whose data: that is decided here
        # until mandates reach the subgraphs in the gateway's identity token.
        me = info.context.require_personal_id()
        loaders = info.context.loaders
        if personal_id != me:
            today = info.context.today()
            wards = {
                child.personal_id
                for child in await loaders.children.load(me)
                if child.is_living_minor_on(today)
            }
            if personal_id not in wards:
                raise Forbidden(f"{me} may not read citizen {personal_id}")
        record = await loaders.person.load(personal_id)
        return Citizen.from_record(record) if record is not None else None


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        policy=citizens_own_token(),
        description="Report a move once; every agency reads the new address from here. "
        "Children under 18 living with the citizen move too.",
    )
    async def report_move(self, info: Info, input: ReportMoveInput) -> Citizen:
        me = info.context.require_personal_id()
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
        return Citizen.from_record(record)


schema: Schema = federated_schema(query=Query, mutation=Mutation, types=[Citizen])
