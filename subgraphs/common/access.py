"""Whose data the caller may read: the one rule every resolver of personal data applies.

The gateway decides which *categories* a caller may read (scopes, `@requiresScopes`); a
subgraph decides whose *person* it is. A person's data is readable by

- the data subject of the token (`sub`): the citizen on their own token, the consenting
  citizen on a platform's token, the principal on a delegate's token, the child on a
  guardian's exchanged token;
- on a citizen's own token only (`authority` self: a first-party app, nobody acting for
  them, no platform asking), each person in `guardian_of` while that person is a minor
  today, by the birth date their personal ID encodes.

Anything else is `Forbidden`, with a message that names nobody else's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from subgraphs.common.errors import Forbidden, Unauthenticated
from subgraphs.common.personal_id import birth_date_of

ADULT_AGE = 18


def adult_on(born: date) -> date:
    """The day someone born on `born` turns 18; a 29 February birth turns 18 on 1 March."""
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:
        return date(born.year + ADULT_AGE, 3, 1)


def is_minor(personal_id: str, today: date) -> bool:
    born = birth_date_of(personal_id)
    return born is not None and born <= today < adult_on(born)


@dataclass(frozen=True)
class Identity:
    """Who a request speaks for, from the gateway's verified identity token."""

    subject: str | None
    actor: str | None = None
    consent_id: str | None = None
    guardian_of: frozenset[str] = frozenset()
    # On what grounds the token speaks (auth/authority.py): only "self" is the citizen's own.
    # A platform that merely signed the citizen in has no act and no consent either.
    authority: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_citizens_own(self) -> bool:
        """The token speaks for its subject directly: nobody acts for them, no platform asks."""
        return (
            self.subject is not None
            and self.authority == "self"
            and self.actor is None
            and self.consent_id is None
        )

    def may_read(self, personal_id: str, today: date) -> bool:
        if personal_id == self.subject:
            return True
        return (
            self.is_citizens_own
            and personal_id in self.guardian_of
            and is_minor(personal_id, today)
        )

    def readable_people(self, today: date) -> list[str]:
        """Everyone `may_read` allows: the subject and the wards who are still minors."""
        if self.subject is None:
            return []
        wards = sorted(p for p in self.guardian_of if self.may_read(p, today))
        return [self.subject, *wards]


def require_readable(identity: Identity, personal_id: str, today: date) -> None:
    if not identity.may_read(personal_id, today):
        raise Forbidden("the caller may not read this person's data")


def acting_citizen(identity: Identity) -> str:
    """The citizen a change is made for: only a citizen's own token may change their records."""
    if identity.subject is None:
        raise Unauthenticated("no citizen is signed in")
    if not identity.is_citizens_own:
        raise Forbidden("only the citizen's own sign-in may make this change")
    return identity.subject
