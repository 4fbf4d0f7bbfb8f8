"""The transport agency's ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app
from subgraphs.common.db import Database, database_path
from subgraphs.common.settings import AgencySettings
from subgraphs.transport.loaders import TransportLoaders
from subgraphs.transport.schema import schema

AGENCY = "transport"


def create_transport_app(settings: AgencySettings) -> Starlette:
    database = Database(database_path(settings.data_dir, AGENCY))
    return create_app(
        agency=AGENCY,
        schema=schema,
        settings=settings,
        make_loaders=lambda: TransportLoaders(database),
        database=database,
    )
