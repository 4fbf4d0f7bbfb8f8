from __future__ import annotations

from datetime import date

from subgraphs.life_events.facts import (
    BenefitFact,
    CitizenFacts,
    CompanyFact,
    EmploymentFact,
    Relative,
    StudyFact,
    facts_from_representation,
)


def test_a_full_representation() -> None:
    facts = facts_from_representation(
        {
            "__typename": "Citizen",
            "personalId": "19900101-0001",
            "dateOfBirth": "1990-01-01",
            "dateOfDeath": None,
            "address": {"since": "2026-05-01"},
            "children": [
                {"personalId": "20260101-0001", "dateOfBirth": "2026-01-01", "dateOfDeath": None}
            ],
            "family": {
                "parents": [{"personalId": "19600101-0001", "dateOfDeath": "2026-02-02"}],
                "spouse": {"personalId": "19910101-0001", "dateOfDeath": None},
            },
            "employments": [
                {"employer": "Polar Software Oy", "startedOn": "2015-01-01", "endedOn": None}
            ],
            "taxCard": {"validFrom": "2026-01-01"},
            "benefits": [
                {
                    "kind": "CHILD_BENEFIT",
                    "status": "GRANTED",
                    "validFrom": "2026-02-01",
                    "concerns": {"personalId": "20260101-0001"},
                }
            ],
            "studies": [{"institution": "Aalto University", "startedOn": "2010-09-01"}],
            "companies": [
                {
                    "role": "OWNER",
                    "company": {
                        "name": "Code Oy",
                        "registeredOn": "2025-03-01",
                        "dissolvedOn": None,
                    },
                }
            ],
            "drivingLicence": {"validUntil": "2030-01-01"},
        }
    )
    assert facts == CitizenFacts(
        personal_id="19900101-0001",
        date_of_birth=date(1990, 1, 1),
        address_since=date(2026, 5, 1),
        children=(Relative("20260101-0001", date(2026, 1, 1)),),
        parents=(Relative("19600101-0001", None, date(2026, 2, 2)),),
        spouse=Relative("19910101-0001"),
        employments=(EmploymentFact("Polar Software Oy", date(2015, 1, 1), None),),
        tax_card_valid_from=date(2026, 1, 1),
        benefits=(BenefitFact("CHILD_BENEFIT", "GRANTED", date(2026, 2, 1), "20260101-0001"),),
        studies=(StudyFact("Aalto University", date(2010, 9, 1)),),
        companies=(CompanyFact("Code Oy", "OWNER", date(2025, 3, 1), None),),
        licence_valid_until=date(2030, 1, 1),
    )


def test_nulls_and_missing_fields_are_absent_facts() -> None:
    # An owning subgraph that failed leaves its fields null or out of the representation.
    facts = facts_from_representation(
        {"personalId": "19900101-0001", "address": None, "family": None, "benefits": None}
    )
    assert facts == CitizenFacts(personal_id="19900101-0001")
