from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from subgraphs.life_events.events import (
    LOOKBACK,
    LifeEventKind,
    Occurrence,
    anniversary,
    births,
    businesses_closed,
    businesses_started,
    coming_of_age,
    deaths_of_relatives,
    detect,
    jobs_lost,
    moves,
    retirements,
    studies_started,
)
from subgraphs.life_events.facts import (
    BenefitFact,
    CitizenFacts,
    CompanyFact,
    EmploymentFact,
    Relative,
    StudyFact,
)

TODAY = date(2026, 11, 1)
RECENT = TODAY - timedelta(days=100)
LONG_AGO = TODAY - LOOKBACK - timedelta(days=1)
ME = "19900101-0001"


def facts(**kw: Any) -> CitizenFacts:
    return CitizenFacts(personal_id=ME, date_of_birth=date(1990, 1, 1), **kw)


def test_anniversary_of_a_leap_day_falls_on_1_march() -> None:
    assert anniversary(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert anniversary(date(2008, 3, 5), 18) == date(2026, 3, 5)


def test_births_are_recent_children() -> None:
    newborn = Relative("20260701-0001", date(2026, 7, 1))
    older = Relative("20200101-0001", date(2020, 1, 1))
    assert births(facts(children=(newborn, older)), TODAY) == [
        Occurrence(LifeEventKind.BIRTH_OF_CHILD, date(2026, 7, 1), concerns="20260701-0001")
    ]


def test_a_move_is_a_recent_address_that_is_not_the_birth() -> None:
    assert moves(facts(address_since=RECENT), TODAY) == [
        Occurrence(LifeEventKind.MOVING_HOUSE, RECENT)
    ]
    assert moves(facts(address_since=LONG_AGO), TODAY) == []
    baby = CitizenFacts(personal_id=ME, date_of_birth=RECENT, address_since=RECENT)
    assert moves(baby, TODAY) == []


def test_studies_started() -> None:
    found = studies_started(facts(studies=(StudyFact("Aalto University", RECENT),)), TODAY)
    assert found == [Occurrence(LifeEventKind.STARTING_STUDIES, RECENT, about="Aalto University")]


def test_businesses_started_and_closed_count_owners_only() -> None:
    owned = CompanyFact("Code Oy", "OWNER", RECENT, TODAY - timedelta(days=5))
    board = CompanyFact("Other Oy", "BOARD_MEMBER", RECENT, None)
    f = facts(companies=(owned, board))
    assert businesses_started(f, TODAY) == [
        Occurrence(LifeEventKind.STARTING_BUSINESS, RECENT, about="Code Oy")
    ]
    assert businesses_closed(f, TODAY) == [
        Occurrence(LifeEventKind.CLOSING_BUSINESS, TODAY - timedelta(days=5), about="Code Oy")
    ]


def test_a_lost_job_is_an_employment_that_ended_before_pension_age() -> None:
    job = EmploymentFact("Nordic Rail Oy", date(2015, 1, 1), RECENT)
    assert jobs_lost(facts(employments=(job,)), TODAY) == [
        Occurrence(LifeEventKind.LOSING_JOB, RECENT, about="Nordic Rail Oy")
    ]
    retiree = CitizenFacts(personal_id=ME, date_of_birth=date(1960, 1, 1), employments=(job,))
    assert jobs_lost(retiree, TODAY) == []


def test_retiring_is_a_recent_pension_or_65th_birthday() -> None:
    pension = BenefitFact("PENSION", "GRANTED", RECENT)
    assert retirements(facts(benefits=(pension,)), TODAY) == [
        Occurrence(LifeEventKind.RETIRING, RECENT)
    ]
    turned_65 = CitizenFacts(personal_id=ME, date_of_birth=date(1961, 6, 1))
    assert retirements(turned_65, TODAY) == [Occurrence(LifeEventKind.RETIRING, date(2026, 6, 1))]
    old_pension = BenefitFact("PENSION", "GRANTED", date(2010, 1, 1))
    long_retired = CitizenFacts(
        personal_id=ME, date_of_birth=date(1945, 1, 1), benefits=(old_pension,)
    )
    assert retirements(long_retired, TODAY) == []


def test_turning_18() -> None:
    teen = CitizenFacts(personal_id=ME, date_of_birth=date(2008, 3, 5))
    assert coming_of_age(teen, TODAY) == [Occurrence(LifeEventKind.TURNING_18, date(2026, 3, 5))]
    assert coming_of_age(facts(), TODAY) == []


def test_deaths_of_parents_spouse_and_children() -> None:
    parent = Relative("19600101-0001", None, RECENT)
    spouse = Relative("19910101-0001", None, TODAY - timedelta(days=3))
    long_dead = Relative("19600101-0002", None, LONG_AGO)
    found = deaths_of_relatives(facts(parents=(parent, long_dead), spouse=spouse), TODAY)
    assert [o.concerns for o in found] == ["19600101-0001", "19910101-0001"]


def test_detect_lists_latest_first_and_nothing_for_the_deceased() -> None:
    f = facts(address_since=RECENT, studies=(StudyFact("Aalto University", TODAY),))
    assert [o.kind for o in detect(f, TODAY)] == [
        LifeEventKind.STARTING_STUDIES,
        LifeEventKind.MOVING_HOUSE,
    ]
    deceased = CitizenFacts(personal_id=ME, date_of_death=RECENT, address_since=RECENT)
    assert detect(deceased, TODAY) == []
