"""Reporting a move, once: the checks and the write.

Other agencies never copy the address; they read it through federation, so this one row is
the change every agency sees. Children under 18 living with the reporter move with them.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from subgraphs.common.errors import BadUserInput
from subgraphs.population import store
from subgraphs.population.store import AddressRecord

_POSTCODE = re.compile(r"[0-9]{5}")
_MAX_TEXT = 100
# Older moves are corrected by a register office, which checks evidence; self-service can't.
MAX_BACKDATE = timedelta(days=365)


@dataclass(frozen=True)
class MoveRequest:
    street: str
    postcode: str
    city: str
    municipality: str
    moved_on: date


def check_move(request: MoveRequest, today: date) -> AddressRecord:
    """The new address if the request is well formed; otherwise `BadUserInput` naming the field."""
    texts = {
        "street": request.street,
        "city": request.city,
        "municipality": request.municipality,
    }
    for field, value in texts.items():
        if not value.strip():
            raise BadUserInput(f"{field} must not be empty", field=field)
        if len(value) > _MAX_TEXT:
            raise BadUserInput(f"{field} must be at most {_MAX_TEXT} characters", field=field)
    postcode = request.postcode.strip()
    if not _POSTCODE.fullmatch(postcode):
        raise BadUserInput(
            f"postcode must be five digits, got {request.postcode!r}", field="postcode"
        )
    if request.moved_on > today:
        raise BadUserInput(
            f"movedOn {request.moved_on} is in the future; report a move on or after moving day",
            field="movedOn",
        )
    if request.moved_on < today - MAX_BACKDATE:
        raise BadUserInput(
            f"movedOn {request.moved_on} is more than {MAX_BACKDATE.days} days ago; "
            "older moves are corrected by a register office",
            field="movedOn",
        )
    return AddressRecord(
        street=request.street.strip(),
        postcode=postcode,
        city=request.city.strip(),
        municipality=request.municipality.strip(),
        since=request.moved_on,
    )


def record_move(
    connection: sqlite3.Connection, personal_id: str, address: AddressRecord
) -> list[str]:
    """Write the move inside the caller's transaction; return everyone who moved."""
    person = store.person(connection, personal_id)
    if person is None:
        raise BadUserInput(f"no citizen {personal_id} in the population register")
    if person.date_of_death is not None:
        raise BadUserInput(f"citizen {personal_id} is deceased")
    current = store.current_address(connection, personal_id)
    if current is not None:
        if address.since <= current.since:
            raise BadUserInput(
                f"movedOn {address.since} must be after the current address's date {current.since}",
                field="movedOn",
            )
        if address.same_place(current):
            raise BadUserInput("that is already the current address")
    moving = [personal_id]
    if current is not None:
        moving += store.minor_children_at(connection, personal_id, current, address.since)
    for mover in moving:
        store.insert_address(connection, mover, address)
    return moving
