"""Whose data whom a token lets read, as one table every agency's access test runs over its
own fields, and the people of the seeded world the table talks about, read from the registers.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subgraphs.common.access import is_minor
from subgraphs.seed import AS_OF
from tests.subgraphs.gateway_tokens import Caller
from tests.subgraphs.helpers import Client, entities, query_db


@dataclass(frozen=True)
class People:
    parent: str  # living, married to a living `spouse`, guardian of a living `minor`
    spouse: str
    minor: str
    grown_parent: str  # a living parent of `grown_child`,
    grown_child: str  # the youngest person with a living parent who has turned 18
    stranger: str  # a living adult who is family of none of the above

    def __getitem__(self, role: str) -> str:
        personal_id: str = getattr(self, role)
        return personal_id


def _living(connection: sqlite3.Connection) -> dict[str, str]:
    rows = connection.execute(
        "SELECT personal_id, date_of_birth FROM person WHERE date_of_death IS NULL"
    )
    return {row[0]: row[1] for row in rows}


def _family(connection: sqlite3.Connection, personal_id: str) -> set[str]:
    rows = connection.execute(
        "SELECT child_id FROM parent_child WHERE parent_id = :p "
        "UNION SELECT parent_id FROM parent_child WHERE child_id = :p "
        "UNION SELECT spouse_id FROM marriage WHERE personal_id = :p",
        {"p": personal_id},
    )
    return {row[0] for row in rows}


def find_people(seeded_dir: Path) -> People:
    connection = sqlite3.connect(seeded_dir / "population.sqlite3")
    try:
        for agency in ("tax", "social_insurance", "transport", "business"):
            connection.execute(f"ATTACH ? AS {agency}", (str(seeded_dir / f"{agency}.sqlite3"),))
        living = _living(connection)
        # The parent with the most registers holding something about them, so that the table's
        # readable rows compare real data in every agency.
        families = connection.execute(
            "SELECT m.personal_id, m.spouse_id, pc.child_id, "
            "  EXISTS (SELECT 1 FROM tax.income i WHERE i.personal_id = m.personal_id) "
            "  + EXISTS (SELECT 1 FROM social_insurance.benefit b "
            "            WHERE b.personal_id = m.personal_id) "
            "  + EXISTS (SELECT 1 FROM transport.vehicle v WHERE v.personal_id = m.personal_id) "
            "  + EXISTS (SELECT 1 FROM business.company_role r "
            "            WHERE r.personal_id = m.personal_id) AS registers "
            "FROM marriage m JOIN parent_child pc ON pc.parent_id = m.personal_id "
            "ORDER BY registers DESC, m.personal_id, pc.child_id"
        ).fetchall()
        parent, spouse, minor = next(
            (p, s, c)
            for p, s, c, _ in families
            if p in living and s in living and c in living and is_minor(c, AS_OF)
        )
        grown = connection.execute(
            "SELECT pc.parent_id, pc.child_id FROM parent_child pc "
            "JOIN person c ON c.personal_id = pc.child_id ORDER BY c.date_of_birth DESC"
        ).fetchall()
        grown_parent, grown_child = next(
            (p, c) for p, c in grown if p in living and c in living and not is_minor(c, AS_OF)
        )
        known = {parent, spouse, minor, grown_parent, grown_child}
        related = set().union(*(_family(connection, person) for person in known))
        stranger = next(
            person
            for person in sorted(living)
            if person not in known | related and not is_minor(person, AS_OF)
        )
    finally:
        connection.close()
    return People(parent, spouse, minor, grown_parent, grown_child, stranger)


@dataclass(frozen=True)
class Asks:
    """A token in roles of `People`: whom it speaks for, who acts, for what platform."""

    subject: str | None
    actor: str | None = None
    delegation: str | None = None
    platform: bool = False
    guardian_of: tuple[str, ...] | None = None
    authority: str | None = None

    def caller(self, people: People) -> Caller:
        return Caller(
            subject=people[self.subject] if self.subject else None,
            actor=people[self.actor] if self.actor else None,
            delegation=self.delegation,
            mandate_id="mnd-test" if self.delegation == "mandate" else None,
            consent_id="cns-test" if self.platform else None,
            guardian_of=tuple(people[w] for w in self.guardian_of)
            if self.guardian_of is not None
            else None,
            authority=self.authority,
        )


PARENT = Asks("parent")
STRANGER = Asks("stranger")
SPOUSE = Asks("spouse")
ANONYMOUS = Asks(None)
GUARDIAN = Asks("parent", guardian_of=("minor",))
GROWN_GUARDIAN = Asks("grown_parent", guardian_of=("grown_child",))
PLATFORM = Asks("parent", platform=True)
PLATFORM_WITH_WARDS = Asks("parent", platform=True, guardian_of=("minor",))
DELEGATE = Asks("parent", actor="stranger", delegation="mandate")
DELEGATE_WITH_WARDS = Asks("parent", actor="stranger", delegation="mandate", guardian_of=("minor",))
EXCHANGED = Asks("minor", actor="parent", delegation="guardianship")
# A platform that only signed the citizen in: no act, no consent, yet not the citizen's own.
SIGN_IN_WITH_WARDS = Asks("parent", guardian_of=("minor",), authority="sign-in")

# `readable`: every personal field. `relative`: the person is a parent, child or spouse of
# someone the token may read, which in the population register discloses name and birth date.
# fmt: off
ACCESS: list[tuple[str, Asks, str, bool, bool]] = [
    # case                             token                person         readable relative
    ("self",                           PARENT,              "parent",      True,    True),
    ("another citizen",                STRANGER,            "parent",      False,   False),
    ("spouse",                         SPOUSE,              "parent",      False,   True),
    ("anonymous",                      ANONYMOUS,           "parent",      False,   False),
    ("guardian, minor ward",           GUARDIAN,            "minor",       True,    True),
    ("parent without guardian_of",     PARENT,              "minor",       False,   True),
    ("guardian, ward who turned 18",   GROWN_GUARDIAN,      "grown_child", False,   True),
    ("platform, its subject",          PLATFORM,            "parent",      True,    True),
    ("platform, the subject's ward",   PLATFORM_WITH_WARDS, "minor",       False,   True),
    ("sign-in only, the subject's ward", SIGN_IN_WITH_WARDS, "minor",      False,   True),
    ("delegate, the principal",        DELEGATE,            "parent",      True,    True),
    ("delegate, their own data",       DELEGATE,            "stranger",    False,   False),
    ("delegate, the principal's ward", DELEGATE_WITH_WARDS, "minor",       False,   True),
    ("exchanged token, the child",     EXCHANGED,           "minor",       True,    True),
    ("exchanged token, the guardian",  EXCHANGED,           "parent",      False,   True),
]
# fmt: on

ACCESS_IDS = [case for case, *_ in ACCESS]

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { %s } } }"


async def read_entity(
    client: Client, person: str, selection: str, identity: str | Caller | None
) -> dict[str, Any]:
    return await client.post(ENTITIES % selection, {"r": entities(person)}, identity=identity)


def assert_forbidden(body: dict[str, Any], field: str) -> None:
    """`field` of the one entity is refused: FORBIDDEN at its path, no value disclosed."""
    errors = body.get("errors") or []
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"], errors
    assert errors[0]["path"] == ["_entities", 0, field]
    entity = body["data"]["_entities"][0]
    # A non-null field's refusal nulls the entity (GraphQL null propagation).
    assert entity is None or entity[field] is None, entity


async def assert_access(
    client: Client,
    people: People,
    asks: Asks,
    person: str,
    field: str,
    selection: str,
    readable: bool,
) -> None:
    """Read `selection` (the field `field`) of `person` with the token `asks` describes: the
    person's own view when `readable`, else FORBIDDEN."""
    body = await read_entity(client, people[person], selection, asks.caller(people))
    if not readable:
        assert_forbidden(body, field)
        return
    own_view = await read_entity(client, people[person], selection, people[person])
    assert "errors" not in body, body["errors"]
    assert body == own_view


def household(seeded_dir: Path, parent: str) -> tuple[Caller, list[str]]:
    """`parent`'s own token naming their living minor children as wards, and everyone it may
    read: the largest batch of people one token reads in one request."""
    rows = query_db(
        seeded_dir,
        "population",
        "SELECT c.personal_id FROM parent_child pc JOIN person c ON c.personal_id = pc.child_id "
        "WHERE pc.parent_id = ? AND c.date_of_death IS NULL ORDER BY c.personal_id",
        (parent,),
    )
    wards = tuple(row[0] for row in rows if is_minor(row[0], AS_OF))
    return Caller(subject=parent, guardian_of=wards), [parent, *wards]
