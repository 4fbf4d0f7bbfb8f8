from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from subgraphs.life_events import journeys as j
from subgraphs.life_events.events import LifeEventKind, Occurrence
from subgraphs.life_events.facts import (
    BenefitFact,
    CitizenFacts,
    EmploymentFact,
    Relative,
)
from subgraphs.life_events.journeys import JourneyStatus as S

TODAY = date(2026, 11, 1)
ME = "19900101-0001"
CHILD = "20260901-0001"
SPOUSE = "19910101-0001"
PARENT = "19600101-0001"


def facts(**kw: Any) -> CitizenFacts:
    return CitizenFacts(personal_id=ME, date_of_birth=date(1990, 1, 1), **kw)


def event(kind: LifeEventKind, days_ago: int, **kw: Any) -> Occurrence:
    return Occurrence(kind, TODAY - timedelta(days=days_ago), **kw)


BIRTH = event(LifeEventKind.BIRTH_OF_CHILD, 61, concerns=CHILD)
NEWBORN = Relative(CHILD, TODAY - timedelta(days=61))


# --- birth of a child ------------------------------------------------------------------


def test_child_benefit_is_eligible_from_the_birth_alone() -> None:
    step = j.child_benefit(facts(children=(NEWBORN,)), BIRTH, TODAY)
    assert step is not None
    assert step.status is S.ELIGIBLE
    assert "population register" in step.explanation
    assert step.action == f'applyForBenefit(input: {{kind: CHILD_BENEFIT, concerns: "{CHILD}"}})'


@pytest.mark.parametrize(
    ("status", "expected"),
    [("GRANTED", S.DONE_AUTOMATICALLY), ("APPLIED", S.IN_PROGRESS), ("REJECTED", S.NOT_ELIGIBLE)],
)
def test_child_benefit_follows_social_insurance(status: str, expected: S) -> None:
    benefit = BenefitFact("CHILD_BENEFIT", status, TODAY, concerns=CHILD)
    step = j.child_benefit(facts(children=(NEWBORN,), benefits=(benefit,)), BIRTH, TODAY)
    assert step is not None and step.status is expected
    assert step.action is None


def test_child_benefit_for_another_child_does_not_count() -> None:
    other = BenefitFact("CHILD_BENEFIT", "GRANTED", TODAY, concerns="20200101-0001")
    step = j.child_benefit(facts(children=(NEWBORN,), benefits=(other,)), BIRTH, TODAY)
    assert step is not None and step.status is S.ELIGIBLE


def test_child_benefit_ends_at_17_and_skips_a_child_who_died() -> None:
    teen = Relative(CHILD, date(2009, 1, 1))
    step = j.child_benefit(facts(children=(teen,)), BIRTH, TODAY)
    assert step is not None and step.status is S.NOT_ELIGIBLE
    died = Relative(CHILD, NEWBORN.date_of_birth, TODAY)
    assert j.child_benefit(facts(children=(died,)), BIRTH, TODAY) is None


def test_parental_allowance_is_due_within_61_days_of_the_birth() -> None:
    step = j.parental_allowance(facts(), BIRTH, TODAY)
    assert step is not None
    assert step.status is S.ACTION_NEEDED
    assert step.due_by == TODAY
    late = j.parental_allowance(facts(), BIRTH, TODAY + timedelta(days=1))
    assert late is not None and late.status is S.NOT_ELIGIBLE
    granted = BenefitFact("PARENTAL_ALLOWANCE", "GRANTED", TODAY, concerns=CHILD)
    done = j.parental_allowance(facts(benefits=(granted,)), BIRTH, TODAY)
    assert done is not None and done.status is S.DONE_AUTOMATICALLY


def test_birth_registration_is_automatic() -> None:
    assert j.birth_registration(facts(), BIRTH, TODAY).status is S.DONE_AUTOMATICALLY


# --- moving house, studies ----------------------------------------------------------------

MOVE = event(LifeEventKind.MOVING_HOUSE, 10)


def test_a_move_reaches_every_agency_without_reporting_it_again() -> None:
    assert j.address_change(facts(), MOVE, TODAY).status is S.DONE_AUTOMATICALLY
    assert j.tax_address(facts(), MOVE, TODAY).status is S.DONE_AUTOMATICALLY


def test_housing_allowance_on_a_move() -> None:
    assert j.housing_allowance(facts(), MOVE, TODAY) is None  # nothing suggests eligibility
    receiving = BenefitFact("HOUSING_ALLOWANCE", "GRANTED", date(2024, 1, 1))
    step = j.housing_allowance(facts(benefits=(receiving,)), MOVE, TODAY)
    assert step is not None and step.status is S.ACTION_NEEDED
    assert step.due_by == MOVE.occurred_on + timedelta(days=30)
    student = BenefitFact("STUDENT_AID", "GRANTED", date(2024, 9, 1))
    eligible = j.housing_allowance(facts(benefits=(student,)), MOVE, TODAY)
    assert eligible is not None and eligible.status is S.ELIGIBLE
    assert eligible.action == "applyForBenefit(input: {kind: HOUSING_ALLOWANCE})"


def test_housing_allowance_already_granted_needs_nothing_on_other_events() -> None:
    receiving = BenefitFact("HOUSING_ALLOWANCE", "GRANTED", date(2024, 1, 1))
    studies = event(LifeEventKind.STARTING_STUDIES, 10, about="Aalto University")
    assert j.housing_allowance(facts(benefits=(receiving,)), studies, TODAY) is None


def test_student_aid() -> None:
    studies = event(LifeEventKind.STARTING_STUDIES, 10, about="Aalto University")
    step = j.student_aid(facts(), studies, TODAY)
    assert step.status is S.ELIGIBLE and "Aalto University" in step.explanation
    applied = BenefitFact("STUDENT_AID", "APPLIED", TODAY)
    assert j.student_aid(facts(benefits=(applied,)), studies, TODAY).status is S.IN_PROGRESS


# --- business -------------------------------------------------------------------------

STARTED = event(LifeEventKind.STARTING_BUSINESS, 30, about="Code Oy")
CLOSED = event(LifeEventKind.CLOSING_BUSINESS, 30, about="Code Oy")


def test_starting_a_business_registers_it_everywhere() -> None:
    assert j.trade_register_entry(facts(), STARTED, TODAY).status is S.DONE_AUTOMATICALLY
    assert j.business_tax_registration(facts(), STARTED, TODAY).status is S.DONE_AUTOMATICALLY


def test_withholding_review_until_the_rate_is_changed() -> None:
    step = j.withholding_review(facts(tax_card_valid_from=date(2026, 1, 1)), STARTED, TODAY)
    assert step.status is S.ACTION_NEEDED
    assert step.action is not None and step.action.startswith("changeWithholdingRate(")
    changed = facts(tax_card_valid_from=STARTED.occurred_on + timedelta(days=3))
    assert j.withholding_review(changed, STARTED, TODAY).status is S.DONE_AUTOMATICALLY


def test_closing_a_business() -> None:
    assert j.deregistration(facts(), CLOSED, TODAY).status is S.DONE_AUTOMATICALLY
    final = j.final_business_return(facts(), CLOSED, TODAY)
    assert final.status is S.ACTION_NEEDED
    assert final.due_by == CLOSED.occurred_on + timedelta(days=120)
    step = j.entrepreneur_unemployment(facts(), CLOSED, TODAY)
    assert step.status is S.ELIGIBLE and "former entrepreneur" in step.explanation


# --- losing a job ---------------------------------------------------------------------

LOST = event(LifeEventKind.LOSING_JOB, 20, about="Nordic Rail Oy")


def test_losing_a_job_makes_unemployment_benefit_eligible_for_90_days() -> None:
    step = j.unemployment_benefit(facts(), LOST, TODAY)
    assert step.status is S.ELIGIBLE
    assert step.due_by == LOST.occurred_on + timedelta(days=90)
    late = j.unemployment_benefit(facts(), LOST, LOST.occurred_on + timedelta(days=91))
    assert late.status is S.NOT_ELIGIBLE


def test_a_new_job_ends_the_unemployment_journey() -> None:
    new_job = EmploymentFact("Polar Software Oy", TODAY - timedelta(days=5), None)
    f = facts(employments=(new_job,))
    step = j.unemployment_benefit(f, LOST, TODAY)
    assert step.status is S.NOT_ELIGIBLE and "Polar Software Oy" in step.explanation
    assert j.jobseeker_registration(f, LOST, TODAY) is None


def test_jobseeker_registration_is_due_the_day_after() -> None:
    step = j.jobseeker_registration(facts(), LOST, TODAY)
    assert step is not None
    assert step.agency == "employment_services" and step.status is S.ACTION_NEEDED
    assert step.due_by == LOST.occurred_on + timedelta(days=1)


# --- retiring, turning 18, death of a relative ----------------------------------------

RETIRED = event(LifeEventKind.RETIRING, 40)


def test_pension_is_eligible_at_65_and_withholding_is_automatic() -> None:
    assert j.old_age_pension(facts(), RETIRED, TODAY).status is S.ELIGIBLE
    granted = BenefitFact("PENSION", "GRANTED", RETIRED.occurred_on)
    assert j.old_age_pension(facts(benefits=(granted,)), RETIRED, TODAY).status is (
        S.DONE_AUTOMATICALLY
    )
    assert j.pension_withholding(facts(), RETIRED, TODAY).status is S.DONE_AUTOMATICALLY


ADULT = event(LifeEventKind.TURNING_18, 10)


def test_turning_18() -> None:
    assert j.voting_rights(facts(), ADULT, TODAY).status is S.DONE_AUTOMATICALLY
    assert j.guardianship_ends(facts(), ADULT, TODAY).status is S.DONE_AUTOMATICALLY
    assert j.driving_licence(facts(), ADULT, TODAY).status is S.ELIGIBLE
    licensed = facts(licence_valid_until=TODAY + timedelta(days=5000))
    assert j.driving_licence(licensed, ADULT, TODAY).status is S.DONE_AUTOMATICALLY
    expired = facts(licence_valid_until=TODAY - timedelta(days=1))
    assert j.driving_licence(expired, ADULT, TODAY).status is S.ELIGIBLE


def test_death_of_a_spouse() -> None:
    death = event(LifeEventKind.DEATH_OF_RELATIVE, 20, concerns=SPOUSE)
    f = facts(spouse=Relative(SPOUSE, None, death.occurred_on))
    assert j.death_registration(f, death, TODAY).status is S.DONE_AUTOMATICALLY
    inventory = j.estate_inventory(f, death, TODAY)
    assert inventory.status is S.ACTION_NEEDED
    assert inventory.due_by == death.occurred_on + timedelta(days=90)
    pension = j.survivors_pension(f, death, TODAY)
    assert pension is not None and pension.status is S.ELIGIBLE
    assert pension.action == (
        f'applyForBenefit(input: {{kind: SURVIVORS_PENSION, concerns: "{SPOUSE}"}})'
    )


def test_survivors_pension_for_a_minor_but_not_an_adult_child() -> None:
    death = event(LifeEventKind.DEATH_OF_RELATIVE, 20, concerns=PARENT)
    parent = Relative(PARENT, None, death.occurred_on)
    minor = CitizenFacts(personal_id=ME, date_of_birth=date(2015, 1, 1), parents=(parent,))
    step = j.survivors_pension(minor, death, TODAY)
    assert step is not None and step.status is S.ELIGIBLE
    assert j.survivors_pension(facts(parents=(parent,)), death, TODAY) is None


def test_every_kind_has_a_journey() -> None:
    assert set(j.JOURNEYS) == set(LifeEventKind)
    steps = j.journey(facts(children=(NEWBORN,)), BIRTH, TODAY)
    assert [step.service for step in steps] == [
        "Birth registration",
        "Child benefit",
        "Parental allowance",
    ]
