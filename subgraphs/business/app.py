"""The business register's ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.business.loaders import BusinessLoaders
from subgraphs.business.schema import schema
from subgraphs.common.app import create_app
from subgraphs.common.db import Database, database_path
from subgraphs.common.settings import AgencySettings

AGENCY = "business"


def create_business_app(settings: AgencySettings) -> Starlette:
    database = Database(database_path(settings.data_dir, AGENCY))
    return create_app(
        agency=AGENCY,
        schema=schema,
        settings=settings,
        make_loaders=lambda: BusinessLoaders(database),
        database=database,
    )
