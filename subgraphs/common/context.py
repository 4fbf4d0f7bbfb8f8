"""What a resolver sees of its request: settings, the caller's identity, this request's loaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from starlette.requests import HTTPConnection

from subgraphs.common.identity import current_personal_id, require_personal_id
from subgraphs.common.settings import AgencySettings

L = TypeVar("L")


@dataclass
class AgencyContext(Generic[L]):
    request: HTTPConnection | None
    settings: AgencySettings
    # Built per request: loader caches must not outlive one request's view of the data.
    loaders: L

    def personal_id(self) -> str | None:
        return current_personal_id(self.request, self.settings)

    def require_personal_id(self) -> str:
        return require_personal_id(self.request, self.settings)

    def today(self) -> date:
        return self.settings.current_date()
