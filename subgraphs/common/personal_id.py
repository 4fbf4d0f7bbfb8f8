"""The personal ID's format, `YYYYMMDD-NNNN`: the date of birth and a serial number for that day."""

from __future__ import annotations

import re
from datetime import date

_FORMAT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{4})")


def format_personal_id(born: date, serial: int) -> str:
    assert 0 <= serial <= 9999, "four digits of serial per birth date"
    return f"{born:%Y%m%d}-{serial:04d}"


def birth_date_of(personal_id: str) -> date | None:
    """The birth date a well-formed personal ID encodes, or None when it is malformed."""
    match = _FORMAT.fullmatch(personal_id)
    if match is None:
        return None
    year, month, day, _ = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
