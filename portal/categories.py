"""My information by category: which fields of `Citizen` each data category shows, and which
agency's subgraph they come from (the supergraph's `@join__field(graph: ...)`; a test holds
this table to the composed supergraph so it cannot go stale)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str  # as scopes and consents name it: `identity`, ...
    agency: str  # the subgraph's name in the supergraph (`join__Graph`)
    fields: tuple[str, ...]  # fields of `Citizen` its document asks for

    @property
    def document(self) -> str:
        """One document per category: a refusal of one (acting under a mandate for income
        only, say) nulls `me` in that answer alone, never the other categories."""
        return f"Information{self.name.capitalize()}"


CATEGORIES = (
    Category("identity", "population", ("name", "dateOfBirth", "sex", "nationality")),
    Category("address", "population", ("address",)),
    Category("family", "population", ("family",)),
    Category("income", "tax", ("income", "employments")),
    Category("tax", "tax", ("taxCard", "taxDecisions")),
    Category("benefits", "social_insurance", ("benefits", "studies")),
    Category("vehicles", "transport", ("drivingLicence", "vehicles")),
    Category("business", "business", ("companies",)),
)
