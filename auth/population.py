"""What auth needs from the population register, and two ways to ask it.

`PopulationRegister` is the protocol: a person, the persons someone is the legal guardian of
(with dates of birth, from which guardianship's end at 18 follows), and the citizens the test
sign-in page offers. `GraphQLPopulationRegister` asks the population subgraph over HTTP;
`SqlitePopulationRegister` reads one SQLite file of its own and nothing else.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import aiohttp


@dataclass(frozen=True)
class Person:
    personal_id: str
    given_name: str
    family_name: str
    date_of_birth: date | None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class PopulationRegister(Protocol):
    async def person(self, personal_id: str) -> Person | None: ...

    async def wards_of(self, personal_id: str) -> list[Person]:
        """The persons `personal_id` is recorded as legal guardian of (minors or not)."""
        ...

    async def test_citizens(self, limit: int = 20) -> list[Person]: ...

    async def close(self) -> None: ...


class PopulationRegisterError(Exception):
    """The register could not answer; callers refuse rather than guess."""


_PERSON_FIELDS = "personalId name { given family } dateOfBirth"


def _person(data: dict[str, Any]) -> Person:
    name = data.get("name") or {}
    born = data.get("dateOfBirth")
    return Person(
        personal_id=str(data["personalId"]),
        given_name=str(name.get("given") or ""),
        family_name=str(name.get("family") or ""),
        date_of_birth=date.fromisoformat(born) if born else None,
    )


class GraphQLPopulationRegister:
    """Asks the population register subgraph: `Query.citizen(personalId)` and
    `Citizen.guardianOf`. It cannot list citizens, so the test sign-in page offers the
    configured `sign_in_ids`."""

    def __init__(
        self,
        url: str,
        sign_in_ids: Iterable[str] = (),
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.sign_in_ids = list(sign_in_ids)
        self.headers = dict(headers or {})
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def _query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(
                self.url, json={"query": query, "variables": variables}, headers=self.headers
            ) as response:
                if response.status != 200:
                    raise PopulationRegisterError(f"population register answered {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PopulationRegisterError(f"population register unreachable: {error}") from error
        if body.get("errors"):
            raise PopulationRegisterError(
                f"population register: {body['errors'][0].get('message')}"
            )
        data: dict[str, Any] = body.get("data") or {}
        return data

    async def person(self, personal_id: str) -> Person | None:
        data = await self._query(
            f"query($id: ID!) {{ citizen(personalId: $id) {{ {_PERSON_FIELDS} }} }}",
            {"id": personal_id},
        )
        citizen = data.get("citizen")
        return _person(citizen) if citizen else None

    async def wards_of(self, personal_id: str) -> list[Person]:
        query = "query($id: ID!) { citizen(personalId: $id) { guardianOf { %s } } }"
        data = await self._query(query % _PERSON_FIELDS, {"id": personal_id})
        citizen = data.get("citizen")
        return [_person(p) for p in citizen.get("guardianOf") or []] if citizen else []

    async def test_citizens(self, limit: int = 20) -> list[Person]:
        people = []
        for personal_id in self.sign_in_ids[:limit]:
            person = await self.person(personal_id)
            if person is not None:
                people.append(person)
        return people

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS citizens (
    personal_id TEXT PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT
);
CREATE TABLE IF NOT EXISTS guardianships (
    guardian TEXT NOT NULL REFERENCES citizens(personal_id),
    ward TEXT NOT NULL REFERENCES citizens(personal_id),
    PRIMARY KEY (guardian, ward)
);
"""


def write_population_file(
    path: Path, people: Iterable[Person], guardianships: Iterable[tuple[str, str]]
) -> None:
    """Create or extend the file `SqlitePopulationRegister` reads (guardian, ward pairs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.executescript(_SCHEMA)
        connection.executemany(
            "INSERT OR REPLACE INTO citizens VALUES (?, ?, ?, ?)",
            [
                (
                    p.personal_id,
                    p.given_name,
                    p.family_name,
                    p.date_of_birth.isoformat() if p.date_of_birth else None,
                )
                for p in people
            ],
        )
        connection.executemany(
            "INSERT OR IGNORE INTO guardianships VALUES (?, ?)", list(guardianships)
        )
    connection.close()


class SqlitePopulationRegister:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Person]:
        if not self.path.exists():
            return []
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            rows = connection.execute(sql, args).fetchall()
        except sqlite3.Error as error:
            raise PopulationRegisterError(f"{self.path}: {error}") from error
        finally:
            connection.close()
        return [Person(r[0], r[1], r[2], date.fromisoformat(r[3]) if r[3] else None) for r in rows]

    async def person(self, personal_id: str) -> Person | None:
        rows = await asyncio.to_thread(
            self._rows, "SELECT * FROM citizens WHERE personal_id = ?", (personal_id,)
        )
        return rows[0] if rows else None

    async def wards_of(self, personal_id: str) -> list[Person]:
        return await asyncio.to_thread(
            self._rows,
            "SELECT c.* FROM guardianships g JOIN citizens c ON c.personal_id = g.ward "
            "WHERE g.guardian = ? ORDER BY c.personal_id",
            (personal_id,),
        )

    async def test_citizens(self, limit: int = 20) -> list[Person]:
        return await asyncio.to_thread(
            self._rows, "SELECT * FROM citizens ORDER BY personal_id LIMIT ?", (limit,)
        )

    async def close(self) -> None:
        return None
