"""What a resolver sees of its request: settings, the caller's identity, this request's loaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from subgraphs.common.access import Identity, acting_citizen, require_readable
from subgraphs.common.settings import AgencySettings

L = TypeVar("L")


@dataclass
class AgencyContext(Generic[L]):
    settings: AgencySettings
    identity: Identity
    # Built per request: loader caches must not outlive one request's view of the data.
    loaders: L

    def today(self) -> date:
        return self.settings.current_date()

    def may_read(self, personal_id: str) -> bool:
        return self.identity.may_read(personal_id, self.today())

    def require_readable(self, personal_id: str) -> None:
        """Raise `Forbidden` unless the caller may read this person's data."""
        require_readable(self.identity, personal_id, self.today())

    def acting_citizen(self) -> str:
        """The citizen a mutation changes; `Forbidden` unless the token is their own."""
        return acting_citizen(self.identity)
