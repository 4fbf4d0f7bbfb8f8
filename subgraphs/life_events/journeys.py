"""What follows from a life event: one small rule per service, each a pure function.

A rule looks at the citizen's facts and the event and returns the journey step it decides
(or None when the service does not apply), with its reason in plain words. `JOURNEYS` lists,
per kind of event, the rules in the order a citizen meets the services.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from subgraphs.life_events.events import (
    ADULT_AGE,
    PENSION_AGE,
    LifeEventKind,
    Occurrence,
    age_on,
)
from subgraphs.life_events.facts import BenefitFact, CitizenFacts

CHILD_BENEFIT_AGE = 17
PARENTAL_ALLOWANCE_WINDOW = timedelta(days=61)
UNEMPLOYMENT_APPLICATION_WINDOW = timedelta(days=90)
HOUSING_REPORT_WINDOW = timedelta(days=30)
ESTATE_INVENTORY_WINDOW = timedelta(days=90)
FINAL_RETURN_WINDOW = timedelta(days=120)
# Benefits that mean a low income, with which housing allowance is usually granted.
_LOW_INCOME_BENEFITS = frozenset({"UNEMPLOYMENT_BENEFIT", "STUDENT_AID", "PENSION"})


class JourneyStatus(Enum):
    DONE_AUTOMATICALLY = "DONE_AUTOMATICALLY"
    ACTION_NEEDED = "ACTION_NEEDED"
    ELIGIBLE = "ELIGIBLE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    IN_PROGRESS = "IN_PROGRESS"


@dataclass(frozen=True)
class JourneyStep:
    agency: str
    service: str
    status: JourneyStatus
    explanation: str
    due_by: date | None = None
    action: str | None = None


StepRule = Callable[[CitizenFacts, Occurrence, date], "JourneyStep | None"]


def apply_action(kind: str, concerns: str | None = None) -> str:
    """The `applyForBenefit` call that acts on a step, ready to paste into a mutation."""
    target = f', concerns: "{concerns}"' if concerns is not None else ""
    return f"applyForBenefit(input: {{kind: {kind}{target}}})"


def withholding_action(reason: str) -> str:
    return f'changeWithholdingRate(input: {{withholdingRate: $rate, reason: "{reason}"}})'


def _latest(facts: CitizenFacts, kind: str, concerns: str | None = None) -> BenefitFact | None:
    # The representation lists benefits latest first, as social insurance returns them.
    for benefit in facts.benefits:
        if benefit.kind == kind and (concerns is None or benefit.concerns == concerns):
            return benefit
    return None


def _decided(service: str, benefit: BenefitFact | None) -> JourneyStep | None:
    """The step once social insurance holds an application or a decision, else None."""
    if benefit is None:
        return None
    if benefit.status in ("GRANTED", "ENDED"):
        since = f" from {benefit.valid_from}" if benefit.valid_from else ""
        return JourneyStep(
            "social_insurance",
            service,
            JourneyStatus.DONE_AUTOMATICALLY,
            f"{service} is granted{since}; payments need nothing from you.",
        )
    if benefit.status == "APPLIED":
        return JourneyStep(
            "social_insurance",
            service,
            JourneyStatus.IN_PROGRESS,
            f"Your {service.lower()} application is being handled.",
        )
    return JourneyStep(
        "social_insurance",
        service,
        JourneyStatus.NOT_ELIGIBLE,
        f"Your {service.lower()} application was rejected; the decision gives the reason.",
    )


# --- population register -------------------------------------------------------------


def birth_registration(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "population",
        "Birth registration",
        JourneyStatus.DONE_AUTOMATICALLY,
        "The hospital entered the birth in the population register; nobody needs to report it.",
    )


def address_change(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "population",
        "Change of address",
        JourneyStatus.DONE_AUTOMATICALLY,
        "The move was reported once; every agency reads the address from the population "
        "register, so none of them needs telling.",
    )


def voting_rights(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "population",
        "Voting rights",
        JourneyStatus.DONE_AUTOMATICALLY,
        "Everyone is entered in the electoral register on their 18th birthday.",
    )


def guardianship_ends(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "population",
        "End of guardianship",
        JourneyStatus.DONE_AUTOMATICALLY,
        "Guardianship ends at 18: your parents can no longer act for you or read your data.",
    )


def death_registration(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "population",
        "Death registration",
        JourneyStatus.DONE_AUTOMATICALLY,
        "The death is in the population register; every agency has it, and the "
        "benefits and pensions paid to the deceased stop without anyone reporting it.",
    )


# --- social insurance ----------------------------------------------------------------


def child_benefit(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep | None:
    child = next((c for c in facts.children if c.personal_id == event.concerns), None)
    if child is None or child.date_of_death is not None or child.date_of_birth is None:
        return None
    decided = _decided("Child benefit", _latest(facts, "CHILD_BENEFIT", child.personal_id))
    if decided is not None:
        return decided
    if age_on(child.date_of_birth, today) >= CHILD_BENEFIT_AGE:
        return JourneyStep(
            "social_insurance",
            "Child benefit",
            JourneyStatus.NOT_ELIGIBLE,
            f"Child benefit is paid until the child turns {CHILD_BENEFIT_AGE}.",
        )
    return JourneyStep(
        "social_insurance",
        "Child benefit",
        JourneyStatus.ELIGIBLE,
        f"Every child under {CHILD_BENEFIT_AGE} gets child benefit; the birth in the "
        "population register is all social insurance needs to know.",
        action=apply_action("CHILD_BENEFIT", child.personal_id),
    )


def parental_allowance(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep | None:
    decided = _decided("Parental allowance", _latest(facts, "PARENTAL_ALLOWANCE", event.concerns))
    if decided is not None:
        return decided
    due = event.occurred_on + PARENTAL_ALLOWANCE_WINDOW
    if today > due:
        return JourneyStep(
            "social_insurance",
            "Parental allowance",
            JourneyStatus.NOT_ELIGIBLE,
            f"Parental allowance must be applied for within {PARENTAL_ALLOWANCE_WINDOW.days} "
            f"days of the birth; that period ended on {due}.",
        )
    return JourneyStep(
        "social_insurance",
        "Parental allowance",
        JourneyStatus.ACTION_NEEDED,
        "Parents caring for a newborn at home are paid parental allowance; apply within "
        f"{PARENTAL_ALLOWANCE_WINDOW.days} days of the birth.",
        due_by=due,
        action=apply_action("PARENTAL_ALLOWANCE", event.concerns),
    )


def housing_allowance(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep | None:
    current = _latest(facts, "HOUSING_ALLOWANCE")
    if current is not None and current.status == "GRANTED":
        if event.kind is not LifeEventKind.MOVING_HOUSE:
            return None
        return JourneyStep(
            "social_insurance",
            "Housing allowance",
            JourneyStatus.ACTION_NEEDED,
            "Housing allowance depends on your housing costs, which the population register "
            f"does not know; report the new rent within {HOUSING_REPORT_WINDOW.days} days.",
            due_by=event.occurred_on + HOUSING_REPORT_WINDOW,
        )
    decided = _decided("Housing allowance", current)
    if decided is not None:
        return decided
    low_income = [
        b for b in facts.benefits if b.kind in _LOW_INCOME_BENEFITS and b.status == "GRANTED"
    ]
    if not low_income:
        return None
    return JourneyStep(
        "social_insurance",
        "Housing allowance",
        JourneyStatus.ELIGIBLE,
        f"People receiving {low_income[0].kind.lower().replace('_', ' ')} usually qualify "
        "for housing allowance.",
        action=apply_action("HOUSING_ALLOWANCE"),
    )


def student_aid(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    decided = _decided("Student aid", _latest(facts, "STUDENT_AID"))
    if decided is not None:
        return decided
    return JourneyStep(
        "social_insurance",
        "Student aid",
        JourneyStatus.ELIGIBLE,
        f"The study right {event.about} reported makes you eligible for student aid.",
        action=apply_action("STUDENT_AID"),
    )


def _employed_after(facts: CitizenFacts, day: date) -> str | None:
    for job in facts.employments:
        if job.ended_on is None and job.started_on is not None and job.started_on >= day:
            return job.employer
    return None


def unemployment_benefit(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    decided = _decided("Unemployment benefit", _latest(facts, "UNEMPLOYMENT_BENEFIT"))
    if decided is not None:
        return decided
    employer = _employed_after(facts, event.occurred_on)
    if employer is not None:
        return JourneyStep(
            "social_insurance",
            "Unemployment benefit",
            JourneyStatus.NOT_ELIGIBLE,
            f"You are employed again, by {employer}.",
        )
    due = event.occurred_on + UNEMPLOYMENT_APPLICATION_WINDOW
    if today > due:
        return JourneyStep(
            "social_insurance",
            "Unemployment benefit",
            JourneyStatus.NOT_ELIGIBLE,
            f"Unemployment benefit is paid only if applied for within "
            f"{UNEMPLOYMENT_APPLICATION_WINDOW.days} days; that period ended on {due}.",
        )
    return JourneyStep(
        "social_insurance",
        "Unemployment benefit",
        JourneyStatus.ELIGIBLE,
        f"Work that ended ({event.about}) with no new employment makes you eligible; apply "
        f"within {UNEMPLOYMENT_APPLICATION_WINDOW.days} days.",
        due_by=due,
        action=apply_action("UNEMPLOYMENT_BENEFIT"),
    )


def old_age_pension(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    decided = _decided("Old-age pension", _latest(facts, "PENSION"))
    if decided is not None:
        return decided
    return JourneyStep(
        "social_insurance",
        "Old-age pension",
        JourneyStatus.ELIGIBLE,
        f"Everyone is entitled to the old-age pension from the age of {PENSION_AGE}.",
        action=apply_action("PENSION"),
    )


def survivors_pension(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep | None:
    is_spouse = facts.spouse is not None and facts.spouse.personal_id == event.concerns
    is_parent = any(parent.personal_id == event.concerns for parent in facts.parents)
    born = facts.date_of_birth
    orphaned_minor = is_parent and born is not None and age_on(born, event.occurred_on) < ADULT_AGE
    if not (is_spouse or orphaned_minor):
        return None
    decided = _decided("Survivors' pension", _latest(facts, "SURVIVORS_PENSION", event.concerns))
    if decided is not None:
        return decided
    who = "a spouse" if is_spouse else "a child under 18"
    return JourneyStep(
        "social_insurance",
        "Survivors' pension",
        JourneyStatus.ELIGIBLE,
        f"As {who} of the deceased you are entitled to a survivors' pension.",
        action=apply_action("SURVIVORS_PENSION", event.concerns),
    )


# --- tax -----------------------------------------------------------------------------


def tax_address(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "tax",
        "Address for tax mail",
        JourneyStatus.DONE_AUTOMATICALLY,
        "The tax administration reads your address from the population register.",
    )


def business_tax_registration(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "tax",
        "Prepayment and VAT registers",
        JourneyStatus.DONE_AUTOMATICALLY,
        f"The start-up notification of {event.about} to the business register also "
        "registered it with the tax administration.",
    )


def withholding_review(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    changed = facts.tax_card_valid_from
    if changed is not None and changed >= event.occurred_on:
        return JourneyStep(
            "tax",
            "Withholding rate",
            JourneyStatus.DONE_AUTOMATICALLY,
            f"Your withholding rate was updated on {changed}, after the change in income.",
        )
    reason = (
        "Started a business"
        if event.kind is LifeEventKind.STARTING_BUSINESS
        else ("Closed a business")
    )
    return JourneyStep(
        "tax",
        "Withholding rate",
        JourneyStatus.ACTION_NEEDED,
        "Your income changes; update your withholding rate so that the year's tax is "
        "neither due at once nor refunded late.",
        action=withholding_action(reason),
    )


def final_business_return(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "tax",
        "Final tax return of the business",
        JourneyStatus.ACTION_NEEDED,
        f"A closed business files a final tax return within {FINAL_RETURN_WINDOW.days} days "
        "of being deregistered.",
        due_by=event.occurred_on + FINAL_RETURN_WINDOW,
    )


def pension_withholding(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "tax",
        "Withholding on pension",
        JourneyStatus.DONE_AUTOMATICALLY,
        "The pension payer gets your withholding rate from the tax administration.",
    )


def estate_inventory(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "tax",
        "Estate inventory",
        JourneyStatus.ACTION_NEEDED,
        f"The heirs hold an estate inventory within {ESTATE_INVENTORY_WINDOW.days} days of "
        "the death and file it with the tax administration.",
        due_by=event.occurred_on + ESTATE_INVENTORY_WINDOW,
    )


# --- business register, transport, employment services ------------------------------


def trade_register_entry(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "business",
        "Trade register entry",
        JourneyStatus.DONE_AUTOMATICALLY,
        f"{event.about} was entered in the business register on {event.occurred_on}.",
    )


def deregistration(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    return JourneyStep(
        "business",
        "Deregistration",
        JourneyStatus.DONE_AUTOMATICALLY,
        f"{event.about} was removed from the business register on {event.occurred_on}.",
    )


def entrepreneur_unemployment(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    step = unemployment_benefit(facts, event, today)
    if step.status is JourneyStatus.ELIGIBLE:
        return JourneyStep(
            step.agency,
            step.service,
            step.status,
            f"Closing {event.about} with no employment makes you eligible as a former "
            f"entrepreneur; apply within {UNEMPLOYMENT_APPLICATION_WINDOW.days} days.",
            due_by=step.due_by,
            action=step.action,
        )
    return step


def jobseeker_registration(
    facts: CitizenFacts, event: Occurrence, today: date
) -> JourneyStep | None:
    if _employed_after(facts, event.occurred_on) is not None:
        return None
    return JourneyStep(
        "employment_services",
        "Jobseeker registration",
        JourneyStatus.ACTION_NEEDED,
        "Unemployment benefit is paid from the day you register as a jobseeker, "
        "so register on your first day without work.",
        due_by=event.occurred_on + timedelta(days=1),
    )


def driving_licence(facts: CitizenFacts, event: Occurrence, today: date) -> JourneyStep:
    valid_until = facts.licence_valid_until
    if valid_until is not None and valid_until >= today:
        return JourneyStep(
            "transport",
            "Driving licence",
            JourneyStatus.DONE_AUTOMATICALLY,
            f"You hold a driving licence valid until {valid_until}.",
        )
    return JourneyStep(
        "transport",
        "Driving licence",
        JourneyStatus.ELIGIBLE,
        "From 18 you may take the class B driving test; a driving school books it.",
    )


JOURNEYS: Mapping[LifeEventKind, tuple[StepRule, ...]] = {
    LifeEventKind.BIRTH_OF_CHILD: (birth_registration, child_benefit, parental_allowance),
    LifeEventKind.MOVING_HOUSE: (address_change, tax_address, housing_allowance),
    LifeEventKind.STARTING_STUDIES: (student_aid, housing_allowance),
    LifeEventKind.STARTING_BUSINESS: (
        trade_register_entry,
        business_tax_registration,
        withholding_review,
    ),
    LifeEventKind.CLOSING_BUSINESS: (
        deregistration,
        final_business_return,
        withholding_review,
        entrepreneur_unemployment,
    ),
    LifeEventKind.LOSING_JOB: (jobseeker_registration, unemployment_benefit, housing_allowance),
    LifeEventKind.RETIRING: (old_age_pension, pension_withholding, housing_allowance),
    LifeEventKind.TURNING_18: (voting_rights, guardianship_ends, driving_licence),
    LifeEventKind.DEATH_OF_RELATIVE: (death_registration, estate_inventory, survivors_pension),
}


def journey(facts: CitizenFacts, event: Occurrence, today: date) -> list[JourneyStep]:
    steps = (rule(facts, event, today) for rule in JOURNEYS[event.kind])
    return [step for step in steps if step is not None]
