"""Each agency's rows, derived from the one synthetic world.

Every agency gets only its own register: no names or addresses outside the population
register, no incomes outside tax. Values that only one agency records (amounts, decision
dates, licence numbers) are drawn from a generator seeded per agency, so adding a column to
one agency never changes another agency's data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from subgraphs.seed._world import AS_OF, PENSION_AGE, RANDOM_SEED, Person, World

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[Row]

    @property
    def insert_sql(self) -> str:
        marks = ", ".join("?" for _ in self.columns)
        return f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _rng(agency: str) -> random.Random:
    return random.Random(f"{RANDOM_SEED}:{agency}")


def _day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _alive_adults(world: World) -> Iterator[Person]:
    return (p for p in world.people if p.died is None and p.age_on(AS_OF) >= 18)


# --- population register -----------------------------------------------------------------


def population(world: World) -> list[Table]:
    people = world.people
    return [
        Table(
            "person",
            (
                "personal_id",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "nationality",
                "date_of_death",
            ),
            [
                (
                    p.personal_id,
                    p.given,
                    p.family,
                    p.born.isoformat(),
                    p.sex,
                    p.nationality,
                    _iso(p.died),
                )
                for p in people
            ],
        ),
        Table(
            "address",
            ("personal_id", "street", "postcode", "city", "municipality", "since"),
            [(p.personal_id, *home, since.isoformat()) for p in people for since, home in p.homes],
        ),
        Table(
            "parent_child",
            ("parent_id", "child_id"),
            [(p.personal_id, c.personal_id) for p in people for c in p.children],
        ),
        Table(
            "marriage",
            ("personal_id", "spouse_id", "since"),
            [
                (p.personal_id, p.spouse.personal_id, _iso(p.married_on))
                for p in people
                if p.spouse is not None
            ],
        ),
    ]


# --- tax ---------------------------------------------------------------------------------


def _year_income(rng: random.Random, person: Person, year: int, salary: int) -> list[Row]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    if not person.alive_on(start) or person.age_on(end) < 18:
        return []
    pid = person.personal_id
    rows: list[Row] = []
    for job in person.jobs:
        worked_to = min(end, job.ended_on or end)
        if job.started_on <= end and worked_to >= start:
            days = (worked_to - max(start, job.started_on)).days + 1
            rows.append((pid, year, "SALARY", job.employer, salary * days // 365))
    for business in person.businesses:
        if business.registered_on <= end and (business.dissolved_on or end) >= start:
            rows.append((pid, year, "BUSINESS", business.name, rng.randint(800_000, 6_000_000)))
    if person.age_on(end) >= PENSION_AGE:
        pension = rng.randint(1_400_000, 3_200_000)
        rows.append((pid, year, "PENSION", "Earnings-Related Pension Fund", pension))
    ended = [job.ended_on for job in person.jobs if job.ended_on is not None]
    if (
        ended
        and max(ended) >= date(year - 1, 1, 1)
        and not any(job.ended_on is None or job.ended_on > end for job in person.jobs)
        and person.age_on(end) < PENSION_AGE - 2
    ):
        rows.append((pid, year, "BENEFIT", "Social insurance", rng.randint(500_000, 1_500_000)))
    if any(started <= end for _, started in person.studies):
        rows.append((pid, year, "BENEFIT", "Social insurance", rng.randint(250_000, 600_000)))
    if rows and rng.random() < 0.25:
        rows.append((pid, year, "CAPITAL", "Northern Bank Oyj", rng.randint(5_000, 500_000)))
    return rows


def _withholding_rate(income_cents: int) -> float:
    euros = income_cents / 100
    rate = 0.0 if euros < 12_000 else 8.0 + (min(euros, 150_000) - 12_000) / 3_000
    return round(min(rate, 55.0), 1)


def tax(world: World) -> list[Table]:
    rng = _rng("tax")
    years = range(AS_OF.year - 3, AS_OF.year)
    incomes: list[Row] = []
    decisions: list[Row] = []
    cards: list[Row] = []
    for person in world.people:
        salary = rng.randint(2_600_000, 7_000_000)
        last_total = 0
        for year in years:
            rows = _year_income(rng, person, year, salary)
            if not rows:
                continue
            incomes.extend(rows)
            last_total = sum(row[4] for row in rows)
            issued = date(year + 1, rng.randint(6, 10), rng.randint(1, 28))
            if issued > AS_OF:
                continue
            roll = rng.random()
            kind = "REFUND" if roll < 0.6 else "AMOUNT_DUE" if roll < 0.85 else "NO_BALANCE"
            amount = 0 if kind == "NO_BALANCE" else rng.randint(2_000, 250_000)
            due_by = issued + timedelta(days=90) if kind == "AMOUNT_DUE" else None
            decisions.append(
                (person.personal_id, year, kind, amount, issued.isoformat(), _iso(due_by))
            )
        if person.died is None and (last_total or person.jobs) and person.age_on(AS_OF) >= 18:
            card_from, reason = date(AS_OF.year, 1, 1), "Annual tax card"
            started = [b.registered_on for b in person.businesses if b.registered_on > card_from]
            if started and rng.random() < 0.5:
                card_from = _day_between(rng, started[0], min(AS_OF, started[0] + timedelta(60)))
                reason = "Started a business"
            rate = _withholding_rate(last_total or salary)
            cards.append((person.personal_id, rate, card_from.isoformat(), reason))
    employments = [
        (p.personal_id, job.employer, job.started_on.isoformat(), _iso(job.ended_on))
        for p in world.people
        for job in p.jobs
    ]
    return [
        Table("income", ("personal_id", "year", "source", "payer", "amount_cents"), incomes),
        Table("employment", ("personal_id", "employer", "started_on", "ended_on"), employments),
        Table(
            "tax_decision",
            ("personal_id", "year", "kind", "amount_cents", "issued_on", "due_by"),
            decisions,
        ),
        Table("tax_card", ("personal_id", "rate_percent", "valid_from", "reason"), cards),
    ]


# --- social insurance --------------------------------------------------------------------

_MONTHLY_CENTS = {
    "CHILD_BENEFIT": (9_488, 9_488),
    "PARENTAL_ALLOWANCE": (90_000, 250_000),
    "UNEMPLOYMENT_BENEFIT": (70_000, 180_000),
    "HOUSING_ALLOWANCE": (20_000, 60_000),
    "PENSION": (120_000, 260_000),
    "SURVIVORS_PENSION": (30_000, 90_000),
    "STUDENT_AID": (28_000, 28_000),
}
_GRANTED = "Granted: the conditions in the law are met on the registered facts."


class _Benefits:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.benefits: list[Row] = []
        self.payments: list[Row] = []

    def add(
        self,
        person: Person,
        kind: str,
        starts: date,
        *,
        concerns: Person | None = None,
        applied_only: bool = False,
        until: date | None = None,
    ) -> None:
        rng = self.rng
        applied = min(AS_OF, starts + timedelta(days=rng.randint(0, 30)))
        decided = applied + timedelta(days=rng.randint(5, 25))
        identifier = len(self.benefits) + 1
        concerns_id = concerns.personal_id if concerns is not None else None
        if applied_only or decided > AS_OF:
            row = (identifier, person.personal_id, kind, "APPLIED", concerns_id)
            self.benefits.append((*row, applied.isoformat(), None, None, None, _iso(starts), None))
            return
        low, high = _MONTHLY_CENTS[kind]
        monthly = rng.randint(low, high) // 100 * 100 if high > low else low
        status = "ENDED" if until is not None and until < AS_OF else "GRANTED"
        valid_from = _next_month(starts) if kind == "CHILD_BENEFIT" else starts
        self.benefits.append(
            (
                identifier,
                person.personal_id,
                kind,
                status,
                concerns_id,
                applied.isoformat(),
                decided.isoformat(),
                _GRANTED,
                monthly,
                valid_from.isoformat(),
                _iso(until),
            )
        )
        if status == "GRANTED":
            paid = date(AS_OF.year, AS_OF.month, 15)
            for _ in range(3):
                if paid < max(valid_from, decided) or paid > AS_OF:
                    paid = date(paid.year - (paid.month == 1), (paid.month - 2) % 12 + 1, 15)
                    continue
                self.payments.append((identifier, paid.isoformat(), monthly))
                paid = date(paid.year - (paid.month == 1), (paid.month - 2) % 12 + 1, 15)


def social_insurance(world: World) -> list[Table]:
    rng = _rng("social_insurance")
    out = _Benefits(rng)
    recent = AS_OF - timedelta(days=730)
    for person in world.people:
        if person.died is not None:
            continue
        age = person.age_on(AS_OF)
        low_income = False
        for child in person.children:
            cared = next((p for p in child.parents if p.died is None and p.sex == "FEMALE"), None)
            carer = cared or next((p for p in child.parents if p.died is None), None)
            if carer is not person or child.died is not None:
                continue
            child_age = child.age_on(AS_OF)
            newborn = (AS_OF - child.born).days < 365
            if child_age < 17:
                roll = rng.random()
                if not newborn or roll >= 0.2:
                    out.add(person, "CHILD_BENEFIT", child.born, concerns=child)
                elif roll >= 0.12:
                    out.add(person, "CHILD_BENEFIT", child.born, concerns=child, applied_only=True)
            elif child.birthday(17) >= recent:
                grown = child.birthday(17)
                out.add(person, "CHILD_BENEFIT", child.born, concerns=child, until=grown)
            if (AS_OF - child.born).days < 300:
                roll = rng.random()
                end = child.born + timedelta(days=320)
                if roll < 0.85:
                    out.add(person, "PARENTAL_ALLOWANCE", child.born, concerns=child, until=end)
                elif roll < 0.92:
                    out.add(
                        person, "PARENTAL_ALLOWANCE", child.born, concerns=child, applied_only=True
                    )
        working = any(job.ended_on is None for job in person.jobs)
        ended = [job.ended_on for job in person.jobs if job.ended_on is not None]
        if not working and ended and max(ended) >= recent and age < PENSION_AGE - 2:
            roll = rng.random()
            start = max(ended) + timedelta(days=rng.randint(1, 20))
            if roll < 0.65:
                out.add(person, "UNEMPLOYMENT_BENEFIT", start)
                low_income = True
            elif roll < 0.8:
                out.add(person, "UNEMPLOYMENT_BENEFIT", start, applied_only=True)
        if age >= PENSION_AGE:
            birthday = person.birthday(PENSION_AGE)
            roll = rng.random()
            if (AS_OF - birthday).days > 240 or roll >= 0.65:
                out.add(person, "PENSION", _next_month(birthday))
                low_income = True
            elif roll >= 0.45:
                out.add(person, "PENSION", _next_month(birthday), applied_only=True)
        spouse = person.spouse
        if (
            spouse is not None
            and spouse.died is not None
            and (spouse.died >= AS_OF - timedelta(days=5 * 365))
        ):
            roll = rng.random()
            start = spouse.died + timedelta(days=rng.randint(20, 60))
            if start <= AS_OF and roll < 0.6:
                out.add(person, "SURVIVORS_PENSION", start, concerns=spouse)
            elif start <= AS_OF and roll < 0.75:
                out.add(person, "SURVIVORS_PENSION", start, concerns=spouse, applied_only=True)
        for _, started in person.studies:
            roll = rng.random()
            if roll < 0.6:
                out.add(person, "STUDENT_AID", started)
                low_income = True
            elif roll < 0.7:
                out.add(person, "STUDENT_AID", started, applied_only=True)
        if low_income and rng.random() < 0.25:
            start = max(AS_OF - timedelta(days=3 * 365), person.birthday(19))
            out.add(person, "HOUSING_ALLOWANCE", _day_between(rng, start, AS_OF))
    studies = [
        (p.personal_id, institution, started.isoformat(), None)
        for p in world.people
        for institution, started in p.studies
    ]
    return [
        Table(
            "benefit",
            (
                "id",
                "personal_id",
                "kind",
                "status",
                "concerns_id",
                "applied_on",
                "decided_on",
                "decision_explanation",
                "monthly_cents",
                "valid_from",
                "valid_until",
            ),
            out.benefits,
        ),
        Table("payment", ("benefit_id", "paid_on", "amount_cents"), out.payments),
        Table("study", ("personal_id", "institution", "started_on", "ended_on"), studies),
    ]


# --- transport ---------------------------------------------------------------------------

_CARS = (
    ("Toyota", "Corolla"), ("Toyota", "RAV4"), ("Skoda", "Octavia"), ("Volkswagen", "Golf"),
    ("Volvo", "V60"), ("Kia", "Ceed"), ("Tesla", "Model Y"), ("Ford", "Focus"),
    ("Nissan", "Leaf"), ("BMW", "320d"), ("Mercedes-Benz", "C 220"), ("Hyundai", "Kona"),
)  # fmt: skip
_LICENCE_YEARS = 15


def _registration(number: int) -> str:
    letters = "ABCDEFGHIJKLMNOPRSTUVXYZ"
    a, rest = divmod(number, 24 * 24 * 999)
    b, rest = divmod(rest, 24 * 999)
    c, digits = divmod(rest, 999)
    return f"{letters[a % 24]}{letters[b]}{letters[c]}-{digits + 1}"


def transport(world: World) -> list[Table]:
    rng = _rng("transport")
    licences: list[Row] = []
    vehicles: list[Row] = []
    for person in _alive_adults(world):
        age = person.age_on(AS_OF)
        if rng.random() >= (0.4 if age >= 85 else 0.8):
            continue
        issued = person.birthday(rng.randint(18, 24))
        if issued > AS_OF:
            continue
        lapsed = rng.random() < 0.06
        while issued + timedelta(days=_LICENCE_YEARS * 365) < AS_OF and not lapsed:
            issued = issued + timedelta(days=_LICENCE_YEARS * 365)
        classes = ["B"]
        if rng.random() < 0.3:
            classes.insert(0, "AM")
        if rng.random() < 0.15:
            classes.insert(0, "A")
        if rng.random() < 0.08:
            classes.append("C")
        valid_until = issued + timedelta(days=_LICENCE_YEARS * 365)
        licences.append(
            (
                person.personal_id,
                f"L{person.index:08d}",
                ",".join(classes),
                issued.isoformat(),
                valid_until.isoformat(),
            )
        )
        for _ in range(2 if rng.random() < 0.15 else 1 if rng.random() < 0.55 else 0):
            make, model = rng.choice(_CARS)
            model_year = rng.randint(max(2005, issued.year), AS_OF.year)
            first = min(AS_OF, date(model_year, rng.randint(1, 12), rng.randint(1, 28)))
            inspection = None
            if AS_OF.year - model_year >= 3:
                inspection = date(AS_OF.year + rng.randint(0, 1), first.month, first.day)
            role = "OWNER" if rng.random() < 0.85 else "HOLDER"
            vehicles.append(
                (
                    _registration(len(vehicles)),
                    person.personal_id,
                    role,
                    make,
                    model,
                    model_year,
                    first.isoformat(),
                    _iso(inspection),
                )
            )
    return [
        Table(
            "driving_licence",
            ("personal_id", "number", "classes", "issued_on", "valid_until"),
            licences,
        ),
        Table(
            "vehicle",
            (
                "registration",
                "personal_id",
                "role",
                "make",
                "model",
                "model_year",
                "first_registered",
                "inspection_due",
            ),
            vehicles,
        ),
    ]


# --- business register -------------------------------------------------------------------

_FORM_NAMES = {
    "SOLE_TRADER": "sole trader",
    "LIMITED_COMPANY": "limited company",
    "PARTNERSHIP": "partnership",
}


def business(world: World) -> list[Table]:
    rng = _rng("business")
    companies: list[Row] = []
    roles: list[Row] = []
    events: list[Row] = []
    for company in world.businesses:
        bid, ended = company.business_id, _iso(company.dissolved_on)
        companies.append(
            (bid, company.name, company.form, company.registered_on.isoformat(), ended)
        )
        registered = company.registered_on.isoformat()
        roles.append((company.owner.personal_id, bid, "OWNER", registered, ended))
        events.append(
            (bid, "REGISTERED", registered, f"Registered as a {_FORM_NAMES[company.form]}")
        )
        for member in company.board:
            joined = _day_between(
                rng, company.registered_on, company.registered_on + timedelta(days=200)
            )
            joined = min(joined, company.dissolved_on or AS_OF, AS_OF)
            roles.append((member.personal_id, bid, "BOARD_MEMBER", joined.isoformat(), ended))
            if joined > company.registered_on:
                events.append((bid, "BOARD_CHANGED", joined.isoformat(), "A board member joined"))
        if ended is not None:
            events.append((bid, "DISSOLVED", ended, "Removed from the register on notice"))
    return [
        Table(
            "company",
            ("business_id", "name", "form", "registered_on", "dissolved_on"),
            companies,
        ),
        Table("company_role", ("personal_id", "business_id", "role", "since", "until"), roles),
        Table("business_event", ("business_id", "kind", "occurred_on", "description"), events),
    ]
