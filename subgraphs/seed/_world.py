"""The synthetic population: people, families, homes and the course of their working lives.

One random generator with a fixed seed draws everything in a fixed order, so the same
`citizens` always gives the same world. Agencies' rows are derived from this world
afterwards (see `_records`), which is what keeps them consistent with each other.

People come in clans of up to three generations: grandparents, their children (some
married to someone from outside the clan), and grandchildren. Dates are relative to
`AS_OF`, the seed's fixed "today".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from subgraphs.common.personal_id import format_personal_id

AS_OF = date(2026, 11, 1)
RANDOM_SEED = 20261101

ADULT_AGE = 18
PENSION_AGE = 65

_GIVEN_FEMALE = (
    "Aino", "Helmi", "Emma", "Olivia", "Sofia", "Aada", "Ella", "Lilja", "Venla", "Iida",
    "Maria", "Anna", "Liisa", "Sanna", "Tiina", "Kaisa", "Elina", "Johanna", "Laura", "Noora",
    "Eeva", "Riitta", "Marja", "Anneli", "Pirkko", "Leena", "Hanna", "Katja", "Minna", "Satu",
)  # fmt: skip
_GIVEN_MALE = (
    "Eino", "Väinö", "Leo", "Elias", "Oliver", "Onni", "Eetu", "Aleksi", "Veeti", "Niilo",
    "Juha", "Mikko", "Timo", "Jari", "Pekka", "Matti", "Antti", "Janne", "Ville", "Tuomas",
    "Heikki", "Kari", "Markku", "Seppo", "Jukka", "Petri", "Sami", "Lauri", "Joonas", "Otto",
)  # fmt: skip
_FAMILY = (
    "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
    "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen",
    "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen",
    "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen", "Ahonen",
    "Andersson", "Lindqvist", "Nyberg", "Holm", "Sundström", "Tamm", "Kask", "Novak",
)  # fmt: skip
_NATIONALITIES = ("SE", "EE", "DE", "UA", "IN", "SO", "CN", "IQ")
_STREETS = (
    "Koivutie", "Rantakatu", "Kirkkokatu", "Koulukatu", "Puistotie", "Mäntytie", "Asemakatu",
    "Kauppakatu", "Myllytie", "Pajatie", "Niittykuja", "Satamakatu", "Harjukatu", "Tehtaankatu",
    "Metsätie", "Peltotie", "Järvitie", "Vanha Postitie", "Linnankatu", "Hakatie",
)  # fmt: skip
# (municipality, city, first three digits of its postcodes)
_MUNICIPALITIES = (
    ("Helsinki", "Helsinki", "001"), ("Helsinki", "Helsinki", "005"),
    ("Espoo", "Espoo", "021"), ("Vantaa", "Vantaa", "016"), ("Tampere", "Tampere", "331"),
    ("Turku", "Turku", "205"), ("Oulu", "Oulu", "901"), ("Jyväskylä", "Jyväskylä", "401"),
    ("Kuopio", "Kuopio", "701"), ("Lahti", "Lahti", "151"), ("Vaasa", "Vaasa", "651"),
    ("Rovaniemi", "Rovaniemi", "961"), ("Porvoo", "Porvoo", "061"), ("Kemi", "Kemi", "941"),
)  # fmt: skip
_EMPLOYERS = (
    "City of Helsinki", "Nordic Rail Oy", "Kesko Retail Oy", "Lakeside Hospital District",
    "Metso Works Oy", "Baltic Logistics Oy", "University of Tampere", "Polar Software Oy",
    "Finnish Forest Products Oy", "Harbour Energy Oy", "Aalto Foods Oy", "City of Oulu",
    "Northern Bank Oyj", "Kuopio Care Services", "Vaasa Wind Oy", "Lapland Tours Oy",
)  # fmt: skip
_INSTITUTIONS = (
    "University of Helsinki", "Aalto University", "Tampere University", "University of Oulu",
    "Turku University of Applied Sciences", "Jyväskylä Vocational College",
    "Metropolia University of Applied Sciences", "University of Eastern Finland",
)  # fmt: skip
_BUSINESS_WORDS = (
    "Design", "Consulting", "Build", "Cafe", "Media", "Garden", "Transport", "Clean", "Code",
    "Health", "Craft", "Studio", "Repair", "Bakery", "Photo", "Energy",
)  # fmt: skip

Home = tuple[str, str, str, str]  # street, postcode, city, municipality


@dataclass(eq=False, slots=True)
class Job:
    employer: str
    started_on: date
    ended_on: date | None = None


@dataclass(eq=False, slots=True)
class Business:
    business_id: str
    name: str
    form: str
    registered_on: date
    dissolved_on: date | None
    owner: Person
    board: list[Person] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class Person:
    index: int
    personal_id: str
    given: str
    family: str
    born: date
    sex: str
    nationality: str
    died: date | None = None
    parents: list[Person] = field(default_factory=list)
    children: list[Person] = field(default_factory=list)
    spouse: Person | None = None
    married_on: date | None = None
    homes: list[tuple[date, Home]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    studies: list[tuple[str, date]] = field(default_factory=list)
    businesses: list[Business] = field(default_factory=list)

    def age_on(self, day: date) -> int:
        born = self.born
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def alive_on(self, day: date) -> bool:
        return self.born <= day and (self.died is None or self.died > day)

    def birthday(self, years: int) -> date:
        return _anniversary(self.born, years)


@dataclass
class World:
    people: list[Person]
    businesses: list[Business]


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self.businesses: list[Business] = []
        self._serials: dict[date, int] = {}

    # --- drawing -----------------------------------------------------------------------

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def home(self) -> Home:
        municipality, city, prefix = self.rng.choice(_MUNICIPALITIES)
        street = f"{self.rng.choice(_STREETS)} {self.rng.randint(1, 120)}"
        if self.rng.random() < 0.5:
            street += f" {self.rng.choice('ABCDEF')} {self.rng.randint(1, 40)}"
        return street, f"{prefix}{self.rng.randint(0, 99):02d}", city, municipality

    def person(
        self, born: date, *, family: str | None = None, nationality: str | None = None
    ) -> Person:
        rng = self.rng
        roll = rng.random()
        sex = "FEMALE" if roll < 0.499 else "MALE" if roll < 0.998 else "UNKNOWN"
        names = _GIVEN_FEMALE if sex == "FEMALE" else _GIVEN_MALE
        if nationality is None:
            nationality = "FI" if rng.random() < 0.93 else rng.choice(_NATIONALITIES)
        serial = self._serials.get(born, 0) + 1
        self._serials[born] = serial
        person = Person(
            index=len(self.people),
            personal_id=format_personal_id(born, serial),
            given=rng.choice(names),
            family=family if family is not None else rng.choice(_FAMILY),
            born=born,
            sex=sex,
            nationality=nationality,
        )
        self.people.append(person)
        return person

    # --- life courses --------------------------------------------------------------------

    def mortality(self, person: Person, not_before: date | None = None) -> None:
        """Perhaps a death in the last twelve years, after `not_before` (a wedding, a birth)."""
        age = person.age_on(AS_OF)
        chance = 0.55 if age >= 85 else 0.25 if age >= 75 else 0.06 if age >= 55 else 0.004
        if self.rng.random() < chance:
            earliest = max(
                person.birthday(max(1, age - 12)),
                AS_OF - timedelta(days=12 * 365),
                (not_before or person.born) + timedelta(days=1),
            )
            if earliest < AS_OF:
                person.died = self.day_between(earliest, AS_OF - timedelta(days=1))

    def marry(self, person: Person, earliest: date) -> Person | None:
        """A spouse from outside the clan, married no earlier than `earliest`."""
        born = self.day_between(
            person.born - timedelta(days=4 * 365), person.born + timedelta(days=4 * 365)
        )
        if born > AS_OF - timedelta(days=20 * 365):
            return None
        start = max(earliest, person.birthday(20), _anniversary(born, 20))
        last = person.died - timedelta(days=1) if person.died is not None else AS_OF
        end = min(AS_OF, start + timedelta(days=6 * 365), last)
        if end < start:
            return None
        spouse = self.person(
            born, nationality=person.nationality if self.rng.random() < 0.8 else None
        )
        if spouse.sex == person.sex and self.rng.random() < 0.9:
            spouse.sex = "MALE" if person.sex == "FEMALE" else "FEMALE"
            spouse.given = self.rng.choice(_GIVEN_FEMALE if spouse.sex == "FEMALE" else _GIVEN_MALE)
        married = self.day_between(start, end)
        person.spouse, spouse.spouse = spouse, person
        person.married_on = spouse.married_on = married
        return spouse

    def household(self, adults: list[Person], since: date) -> None:
        """Adults set up home together on `since`, and may move once more later."""
        homes = [(since, self.home())]
        if self.rng.random() < 0.45:
            # Recent moves are over-represented so the moving-house journey has people in it.
            start = (
                max(since + timedelta(days=30), AS_OF - timedelta(days=3 * 365))
                if self.rng.random() < 0.5
                else since + timedelta(days=30)
            )
            if start < AS_OF:
                homes.append((self.day_between(start, AS_OF), self.home()))
        for adult in adults:
            adult.homes.extend(homes)

    def childhood_homes(self, child: Person, parent: Person) -> None:
        """The child lives with `parent` from birth until moving out or turning 18."""
        leaves = child.birthday(ADULT_AGE)
        parent_homes = sorted(parent.homes, key=lambda item: item[0])
        at_birth = [home for since, home in parent_homes if since <= child.born]
        if at_birth:
            child.homes.append((child.born, at_birth[-1]))
        else:
            child.homes.append((child.born, self.home()))
        for since, home in parent_homes:
            if child.born < since < leaves:
                child.homes.append((since, home))

    def working_life(self, person: Person) -> None:
        rng = self.rng
        if person.age_on(AS_OF) < ADULT_AGE:
            return
        age = person.age_on(AS_OF)
        # Studies: a study right started at 19-22.
        if 19 <= age <= 27 and rng.random() < 0.5:
            start = self.day_between(person.birthday(19), min(AS_OF, person.birthday(22)))
            if start < AS_OF:
                person.studies.append((rng.choice(_INSTITUTIONS), start))
        if age < 20:
            return
        work_from = person.birthday(rng.randint(20, 26))
        if work_from >= AS_OF:
            return
        retire_on = person.birthday(rng.randint(63, PENSION_AGE))
        last_day = min(AS_OF, retire_on, person.died or AS_OF)
        if rng.random() < 0.35 and (last_day - work_from).days > 4 * 365:
            first_end = self.day_between(
                work_from + timedelta(days=365), last_day - timedelta(days=400)
            )
            person.jobs.append(Job(rng.choice(_EMPLOYERS), work_from, first_end))
            work_from = first_end + timedelta(days=rng.randint(1, 120))
        if rng.random() < 0.1 and age < PENSION_AGE:
            return  # not in the income register's employments: outside work by choice
        job = Job(rng.choice(_EMPLOYERS), work_from)
        if retire_on <= AS_OF:
            job.ended_on = max(work_from + timedelta(days=30), retire_on)
        elif person.died is not None:
            job.ended_on = person.died
        elif rng.random() < 0.07:
            # Lost the job within the last two years (and half of them within five months).
            window = 150 if rng.random() < 0.5 else 730
            job.ended_on = self.day_between(
                max(work_from + timedelta(days=30), AS_OF - timedelta(days=window)),
                AS_OF - timedelta(days=1),
            )
            if rng.random() < 0.2 and job.ended_on < AS_OF - timedelta(days=60):
                person.jobs.append(job)
                job = Job(
                    rng.choice(_EMPLOYERS),
                    self.day_between(job.ended_on + timedelta(days=14), AS_OF),
                )
        if job.started_on < AS_OF:
            person.jobs.append(job)

    def enterprise(self, person: Person) -> None:
        rng = self.rng
        age = person.age_on(AS_OF)
        if not 25 <= age <= 70 or person.died is not None or rng.random() >= 0.065:
            return
        recent = rng.random() < 0.25
        earliest = (
            AS_OF - timedelta(days=700)
            if recent
            else max(person.birthday(25), AS_OF - timedelta(days=15 * 365))
        )
        registered = self.day_between(earliest, AS_OF - timedelta(days=1))
        dissolved = None
        if rng.random() < 0.15:
            dissolved = self.day_between(
                max(registered + timedelta(days=90), AS_OF - timedelta(days=700)), AS_OF
            )
            if dissolved >= AS_OF:
                dissolved = None
        form = (
            "LIMITED_COMPANY"
            if rng.random() < 0.4
            else "PARTNERSHIP"
            if rng.random() < 0.1
            else "SOLE_TRADER"
        )
        number = len(self.businesses) + 1000000
        check = (
            (
                11
                - sum(int(d) * w for d, w in zip(str(number), (7, 9, 10, 5, 8, 4, 2), strict=True))
                % 11
            )
            % 11
            % 10
        )
        suffix = {"LIMITED_COMPANY": "Oy", "PARTNERSHIP": "Ky", "SOLE_TRADER": "Tmi"}[form]
        business = Business(
            business_id=f"{number:07d}-{check}",
            name=f"{person.family} {rng.choice(_BUSINESS_WORDS)} {suffix}",
            form=form,
            registered_on=registered,
            dissolved_on=dissolved,
            owner=person,
        )
        if form == "LIMITED_COMPANY" and person.spouse is not None and person.spouse.died is None:
            business.board.append(person.spouse)
        self.businesses.append(business)
        person.businesses.append(business)
        # The owner's employment ends when the business starts.
        for job in person.jobs:
            if job.ended_on is None and job.started_on < registered:
                job.ended_on = registered

    # --- clans ---------------------------------------------------------------------------

    def clan(self) -> None:
        rng = self.rng
        elder = self.person(
            self.day_between(date(AS_OF.year - 96, 1, 1), date(AS_OF.year - 58, 12, 31))
        )
        elders = [elder]
        partner = self.marry(elder, elder.birthday(20)) if rng.random() < 0.85 else None
        if partner is not None:
            elders.append(partner)
        mother = next((p for p in elders if p.sex == "FEMALE"), elder)
        settled = elder.married_on or elder.birthday(rng.randint(20, 30))
        self.household(elders, settled)
        self.children_of(elders, mother, settled, rng.choice((1, 2, 2, 3, 3, 4)), generation=2)
        for person in elders:
            self.mortality(person, not_before=_last_event(person))

    def children_of(
        self, parents: list[Person], mother: Person, settled: date, count: int, generation: int
    ) -> None:
        family = parents[0].family
        for _ in range(count):
            born = self.day_between(max(settled, mother.birthday(21)), mother.birthday(42))
            if born > AS_OF or any(p.died is not None and born >= p.died for p in parents):
                continue
            child = self.person(born, family=family, nationality=mother.nationality)
            for parent in parents:
                child.parents.append(parent)
                parent.children.append(child)
            self.childhood_homes(child, mother)
            self.grow_up(child, generation)

    def grow_up(self, person: Person, generation: int) -> None:
        rng = self.rng
        self.mortality(person)
        settles = person.birthday(21)
        if person.age_on(AS_OF) >= 19:
            moves_out = person.birthday(rng.randint(19, 24))
            if moves_out < AS_OF:
                person.homes.append((moves_out, self.home()))
                settles = max(settles, moves_out + timedelta(days=30))
        self.working_life(person)
        if generation >= 3 and rng.random() < 0.6:
            self.enterprise(person)
            return
        spouse = None
        if person.age_on(AS_OF) >= 22 and rng.random() < 0.65:
            spouse = self.marry(person, settles)
        if spouse is not None and person.married_on is not None:
            self.household([person, spouse], person.married_on)
        self.enterprise(person)
        if spouse is None and rng.random() > 0.15:
            return
        couple = [person] if spouse is None else [person, spouse]
        mother = next((p for p in couple if p.sex == "FEMALE"), person)
        settled = person.married_on or person.birthday(23)
        self.children_of(couple, mother, settled, rng.choice((0, 1, 1, 2, 2, 2, 3)), generation + 1)
        if spouse is not None:
            # The in-law's life is drawn after the family's, so a death can't precede it.
            self.mortality(spouse, not_before=_last_event(spouse))
            self.working_life(spouse)


def _anniversary(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return date(born.year + years, 3, 1)


def _last_event(person: Person) -> date | None:
    """The latest date a death must come after: the wedding or a child's birth."""
    days = [child.born for child in person.children]
    if person.married_on is not None:
        days.append(person.married_on)
    return max(days, default=None)


def _tidy(people: list[Person]) -> None:
    """Drop what the cut-off left dangling, order homes by date and end them at death."""
    count = len(people)
    for person in people:
        person.parents = [p for p in person.parents if p.index < count]
        person.children = [c for c in person.children if c.index < count]
        if person.spouse is not None and person.spouse.index >= count:
            person.spouse = None
            person.married_on = None
        homes: dict[date, tuple[str, str, str, str]] = {}
        for since, home in sorted(person.homes, key=lambda item: item[0]):
            if since <= AS_OF and (person.died is None or since < person.died):
                homes[since] = home
        person.homes = list(homes.items())


def build_world(citizens: int) -> World:
    builder = _Builder(random.Random(RANDOM_SEED))
    while len(builder.people) < citizens:
        builder.clan()
    people = builder.people[:citizens]
    _tidy(people)
    businesses = [b for b in builder.businesses if b.owner.index < citizens]
    for business in businesses:
        business.board = [member for member in business.board if member.index < citizens]
    return World(people=people, businesses=businesses)
