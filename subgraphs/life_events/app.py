"""The life-events ASGI app: no store of its own, everything arrives in the representations."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app
from subgraphs.common.settings import AgencySettings
from subgraphs.life_events.schema import schema

AGENCY = "life_events"


def create_life_events_app(settings: AgencySettings) -> Starlette:
    return create_app(agency=AGENCY, schema=schema, settings=settings, make_loaders=lambda: None)
