"""Social insurance's ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app
from subgraphs.common.db import Database, database_path
from subgraphs.common.settings import AgencySettings
from subgraphs.social_insurance.loaders import SocialInsuranceLoaders
from subgraphs.social_insurance.schema import schema

AGENCY = "social_insurance"


def create_social_insurance_app(settings: AgencySettings) -> Starlette:
    database = Database(database_path(settings.data_dir, AGENCY))
    return create_app(
        agency=AGENCY,
        schema=schema,
        settings=settings,
        make_loaders=lambda: SocialInsuranceLoaders(database),
        database=database,
    )
