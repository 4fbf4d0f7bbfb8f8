"""Which life events happened to a citizen: one small detector per kind, over plain facts.

An event is reported while it is recent (`LOOKBACK`), because that is when the services that
follow from it are due. Every detector is a pure function of the facts and today's date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from subgraphs.life_events.facts import CitizenFacts

LOOKBACK = timedelta(days=730)
ADULT_AGE = 18
PENSION_AGE = 65


class LifeEventKind(Enum):
    BIRTH_OF_CHILD = "BIRTH_OF_CHILD"
    MOVING_HOUSE = "MOVING_HOUSE"
    STARTING_STUDIES = "STARTING_STUDIES"
    STARTING_BUSINESS = "STARTING_BUSINESS"
    CLOSING_BUSINESS = "CLOSING_BUSINESS"
    LOSING_JOB = "LOSING_JOB"
    RETIRING = "RETIRING"
    TURNING_18 = "TURNING_18"
    DEATH_OF_RELATIVE = "DEATH_OF_RELATIVE"


@dataclass(frozen=True)
class Occurrence:
    kind: LifeEventKind
    occurred_on: date
    # The person the event is about (the newborn, the late relative), when not the citizen.
    concerns: str | None = None
    # What the explanations name: the employer, the institution, the company.
    about: str | None = None


def anniversary(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # born on 29 February: the birthday falls on 1 March
        return date(born.year + years, 3, 1)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_recent(day: date | None, today: date) -> bool:
    return day is not None and today - LOOKBACK <= day <= today


def births(facts: CitizenFacts, today: date) -> list[Occurrence]:
    return [
        Occurrence(LifeEventKind.BIRTH_OF_CHILD, child.date_of_birth, concerns=child.personal_id)
        for child in facts.children
        if child.date_of_birth is not None and is_recent(child.date_of_birth, today)
    ]


def moves(facts: CitizenFacts, today: date) -> list[Occurrence]:
    since = facts.address_since
    # A first address dated on the birthday is the birth's registration, not a move.
    if since is None or since == facts.date_of_birth or not is_recent(since, today):
        return []
    return [Occurrence(LifeEventKind.MOVING_HOUSE, since)]


def studies_started(facts: CitizenFacts, today: date) -> list[Occurrence]:
    return [
        Occurrence(LifeEventKind.STARTING_STUDIES, study.started_on, about=study.institution)
        for study in facts.studies
        if is_recent(study.started_on, today)
    ]


def businesses_started(facts: CitizenFacts, today: date) -> list[Occurrence]:
    return [
        Occurrence(LifeEventKind.STARTING_BUSINESS, company.registered_on, about=company.name)
        for company in facts.companies
        if company.role == "OWNER"
        and company.registered_on is not None
        and is_recent(company.registered_on, today)
    ]


def businesses_closed(facts: CitizenFacts, today: date) -> list[Occurrence]:
    return [
        Occurrence(LifeEventKind.CLOSING_BUSINESS, company.dissolved_on, about=company.name)
        for company in facts.companies
        if company.role == "OWNER"
        and company.dissolved_on is not None
        and is_recent(company.dissolved_on, today)
    ]


def jobs_lost(facts: CitizenFacts, today: date) -> list[Occurrence]:
    born = facts.date_of_birth
    return [
        Occurrence(LifeEventKind.LOSING_JOB, job.ended_on, about=job.employer)
        for job in facts.employments
        if job.ended_on is not None
        and is_recent(job.ended_on, today)
        # A job that ends at pension age is a retirement, reported as such.
        and not (born is not None and age_on(born, job.ended_on) >= PENSION_AGE)
    ]


def retirements(facts: CitizenFacts, today: date) -> list[Occurrence]:
    pension_starts = [
        benefit.valid_from
        for benefit in facts.benefits
        if benefit.kind == "PENSION" and benefit.status in ("GRANTED", "ENDED")
    ]
    for start in pension_starts:
        if start is not None and is_recent(start, today):
            return [Occurrence(LifeEventKind.RETIRING, start)]
    if facts.date_of_birth is None or pension_starts:
        return []
    birthday = anniversary(facts.date_of_birth, PENSION_AGE)
    return [Occurrence(LifeEventKind.RETIRING, birthday)] if is_recent(birthday, today) else []


def coming_of_age(facts: CitizenFacts, today: date) -> list[Occurrence]:
    if facts.date_of_birth is None:
        return []
    birthday = anniversary(facts.date_of_birth, ADULT_AGE)
    return [Occurrence(LifeEventKind.TURNING_18, birthday)] if is_recent(birthday, today) else []


def deaths_of_relatives(facts: CitizenFacts, today: date) -> list[Occurrence]:
    relatives = [*facts.parents, *facts.children]
    if facts.spouse is not None:
        relatives.append(facts.spouse)
    return [
        Occurrence(
            LifeEventKind.DEATH_OF_RELATIVE, relative.date_of_death, concerns=relative.personal_id
        )
        for relative in relatives
        if relative.date_of_death is not None and is_recent(relative.date_of_death, today)
    ]


Detector = Callable[[CitizenFacts, date], list[Occurrence]]

DETECTORS: tuple[Detector, ...] = (
    births,
    moves,
    studies_started,
    businesses_started,
    businesses_closed,
    jobs_lost,
    retirements,
    coming_of_age,
    deaths_of_relatives,
)


def detect(facts: CitizenFacts, today: date) -> list[Occurrence]:
    """Every recent life event of a living citizen, latest first."""
    if facts.date_of_death is not None:
        return []
    found = [occurrence for detector in DETECTORS for occurrence in detector(facts, today)]
    return sorted(found, key=lambda item: (item.occurred_on, item.kind.value), reverse=True)
