"""Guardianship: a parent acts for a minor child, as the population register records it,
until the child's 18th birthday."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from auth.population import PopulationRegister

AGE_OF_MAJORITY = 18


def majority_date(date_of_birth: date) -> date:
    """The 18th birthday; someone born on 29 February comes of age on 1 March."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + AGE_OF_MAJORITY)
    except ValueError:
        return date(date_of_birth.year + AGE_OF_MAJORITY, 3, 1)


@dataclass(frozen=True)
class Guardianship:
    guardian: str
    ward: str
    ward_name: str
    ends_on: date  # the ward's 18th birthday, the first day the guardian may no longer act

    @property
    def ends_at(self) -> int:
        """Epoch seconds of the start (UTC) of the 18th birthday."""
        return int(datetime.combine(self.ends_on, time(0), tzinfo=UTC).timestamp())


async def guardianships_of(
    register: PopulationRegister, guardian: str, today: date | None = None
) -> list[Guardianship]:
    today = datetime.now(UTC).date() if today is None else today
    found = []
    for ward in await register.wards_of(guardian):
        if ward.date_of_birth is None:
            continue  # without a date of birth minority cannot be shown: no guardianship
        ends_on = majority_date(ward.date_of_birth)
        if today < ends_on:
            found.append(Guardianship(guardian, ward.personal_id, ward.name, ends_on))
    return found


async def find_guardianship(
    register: PopulationRegister, guardian: str, ward: str, today: date | None = None
) -> Guardianship | None:
    for guardianship in await guardianships_of(register, guardian, today):
        if guardianship.ward == ward:
            return guardianship
    return None
