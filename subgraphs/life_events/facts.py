"""The facts the life-event rules read, parsed from the entity representation the gateway sends.

The representation carries the fields named in `Citizen.lifeEvents`' `@requires`, in the
response shape of the subgraphs that own them (camelCase keys, ISO dates). A field an owning
subgraph could not resolve arrives as null or is missing; a fact is then simply absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Relative:
    personal_id: str
    date_of_birth: date | None = None
    date_of_death: date | None = None


@dataclass(frozen=True)
class EmploymentFact:
    employer: str
    started_on: date | None
    ended_on: date | None


@dataclass(frozen=True)
class BenefitFact:
    kind: str
    status: str
    valid_from: date | None = None
    concerns: str | None = None


@dataclass(frozen=True)
class StudyFact:
    institution: str
    started_on: date


@dataclass(frozen=True)
class CompanyFact:
    name: str
    role: str
    registered_on: date | None
    dissolved_on: date | None


@dataclass(frozen=True)
class CitizenFacts:
    personal_id: str
    date_of_birth: date | None = None
    date_of_death: date | None = None
    address_since: date | None = None
    children: tuple[Relative, ...] = ()
    parents: tuple[Relative, ...] = ()
    spouse: Relative | None = None
    employments: tuple[EmploymentFact, ...] = ()
    tax_card_valid_from: date | None = None
    benefits: tuple[BenefitFact, ...] = ()
    studies: tuple[StudyFact, ...] = ()
    companies: tuple[CompanyFact, ...] = ()
    licence_valid_until: date | None = None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _relative(value: Mapping[str, Any]) -> Relative:
    return Relative(
        personal_id=str(value["personalId"]),
        date_of_birth=_date(value.get("dateOfBirth")),
        date_of_death=_date(value.get("dateOfDeath")),
    )


def facts_from_representation(representation: Mapping[str, Any]) -> CitizenFacts:
    family = _object(representation.get("family"))
    spouse = family.get("spouse")
    return CitizenFacts(
        personal_id=str(representation["personalId"]),
        date_of_birth=_date(representation.get("dateOfBirth")),
        date_of_death=_date(representation.get("dateOfDeath")),
        address_since=_date(_object(representation.get("address")).get("since")),
        children=tuple(_relative(child) for child in _list(representation.get("children"))),
        parents=tuple(_relative(parent) for parent in _list(family.get("parents"))),
        spouse=_relative(spouse) if isinstance(spouse, Mapping) else None,
        employments=tuple(
            EmploymentFact(
                employer=str(job.get("employer", "")),
                started_on=_date(job.get("startedOn")),
                ended_on=_date(job.get("endedOn")),
            )
            for job in _list(representation.get("employments"))
        ),
        tax_card_valid_from=_date(_object(representation.get("taxCard")).get("validFrom")),
        benefits=tuple(
            BenefitFact(
                kind=str(benefit.get("kind")),
                status=str(benefit.get("status")),
                valid_from=_date(benefit.get("validFrom")),
                concerns=_object(benefit.get("concerns")).get("personalId"),
            )
            for benefit in _list(representation.get("benefits"))
        ),
        studies=tuple(
            StudyFact(institution=str(study.get("institution", "")), started_on=started)
            for study in _list(representation.get("studies"))
            if (started := _date(study.get("startedOn"))) is not None
        ),
        companies=tuple(
            CompanyFact(
                name=str(_object(role.get("company")).get("name", "")),
                role=str(role.get("role")),
                registered_on=_date(_object(role.get("company")).get("registeredOn")),
                dissolved_on=_date(_object(role.get("company")).get("dissolvedOn")),
            )
            for role in _list(representation.get("companies"))
        ),
        licence_valid_until=_date(_object(representation.get("drivingLicence")).get("validUntil")),
    )
