"""Both population register implementations, the GraphQL one against a real little server
that serves the population subgraph's shape over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from auth.guardianship import find_guardianship, guardianships_of, majority_date
from auth.population import (
    GraphQLPopulationRegister,
    PopulationRegister,
    PopulationRegisterError,
    SqlitePopulationRegister,
)
from tests.auth.support import ANNA, BEN, CARA, DAN, GUARDIANSHIPS, PEOPLE, free_port, serve


@strawberry.type
class Name:
    given: str
    family: str


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID
    name: Name
    date_of_birth: date | None

    @strawberry.field
    def children(self) -> list[Citizen]:
        return [_citizen(w) for g, w in GUARDIANSHIPS if g == self.personal_id]

    @strawberry.field
    def guardian_of(self) -> list[Citizen]:
        return [_citizen(w) for g, w in GUARDIANSHIPS if g == self.personal_id]


def _citizen(personal_id: str) -> Citizen:
    person = next(p for p in PEOPLE if p.personal_id == personal_id)
    return Citizen(
        personal_id=strawberry.ID(person.personal_id),
        name=Name(given=person.given_name, family=person.family_name),
        date_of_birth=person.date_of_birth,
    )


@strawberry.type
class Query:
    @strawberry.field
    def citizen(self, personal_id: strawberry.ID) -> Citizen | None:
        if personal_id == "boom":
            raise ValueError("register failure")
        known = {p.personal_id for p in PEOPLE}
        return _citizen(str(personal_id)) if personal_id in known else None


class _Endpoint:
    def __init__(self) -> None:
        self.app = GraphQL(strawberry.federation.Schema(query=Query), graphql_ide=None)

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def population_url() -> Iterator[str]:
    app = Starlette(routes=[Route("/graphql", _Endpoint(), methods=["POST"])])
    with serve(app, free_port()) as url:
        yield url + "/graphql"


@pytest.fixture(params=["graphql", "sqlite"])
async def register(
    request: pytest.FixtureRequest, tmp_path: Path, population_url: str
) -> PopulationRegister:
    if request.param == "graphql":
        return GraphQLPopulationRegister(population_url, sign_in_ids=[ANNA, DAN])
    from auth.population import write_population_file

    path = tmp_path / "population.sqlite3"
    write_population_file(path, PEOPLE, GUARDIANSHIPS)
    return SqlitePopulationRegister(path)


async def test_register_answers(register: PopulationRegister) -> None:
    try:
        anna = await register.person(ANNA)
        assert anna is not None and anna.name == "Anna Virtanen"
        assert await register.person("nobody") is None
        assert {w.personal_id for w in await register.wards_of(ANNA)} == {BEN, CARA}
        assert ANNA in {p.personal_id for p in await register.test_citizens()}
        # Guardianship: Ben is a minor, Cara came of age yesterday.
        assert await find_guardianship(register, ANNA, BEN) is not None
        assert await find_guardianship(register, ANNA, CARA) is None
        assert [g.ward for g in await guardianships_of(register, ANNA)] == [BEN]
        assert await find_guardianship(register, DAN, BEN) is None
    finally:
        await register.close()


async def test_graphql_register_errors_are_reported(population_url: str) -> None:
    register = GraphQLPopulationRegister(population_url)
    with pytest.raises(PopulationRegisterError):
        await register.person("boom")
    await register.close()
    unreachable = GraphQLPopulationRegister(f"http://127.0.0.1:{free_port()}/graphql")
    with pytest.raises(PopulationRegisterError):
        await unreachable.wards_of(ANNA)
    await unreachable.close()


def test_majority_date() -> None:
    assert majority_date(date(2010, 6, 15)) == date(2028, 6, 15)
    assert majority_date(date(2008, 2, 29)) == date(2026, 3, 1)
