"""Fixtures for the agency subgraphs: a seeded data directory, the gateway's signing keys served
over HTTP, and a GraphQL client per app that sends the gateway's identity tokens."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from subgraphs.common.settings import AgencySettings, GatewayTrust
from subgraphs.seed import AS_OF, seed
from tests.subgraphs.gateway_tokens import TestGateway, serve_gateway
from tests.subgraphs.helpers import Client
from tests.subgraphs.people import People, find_people

# Big enough for every kind of life event to occur, small enough to seed in well under a second.
CITIZENS = 600


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("seeded")
    seed(directory, CITIZENS)
    return directory


@pytest.fixture(scope="session")
def people(seeded_dir: Path) -> People:
    return find_people(seeded_dir)


@pytest.fixture
def data_dir(seeded_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded registers, for tests that write."""
    directory = tmp_path / "data"
    shutil.copytree(seeded_dir, directory, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return directory


@pytest.fixture(scope="session")
def gateway() -> Iterator[TestGateway]:
    """The gateway's key, its JWKS on a real port; tests that rotate keys start their own."""
    with serve_gateway() as running:
        yield running


@pytest.fixture
def settings(seeded_dir: Path, gateway: TestGateway) -> AgencySettings:
    """Settings over the shared registers, clock pinned to the seed's date."""
    return AgencySettings(
        data_dir=seeded_dir, today=AS_OF, gateway=GatewayTrust(jwks_url=gateway.jwks_url)
    )


@pytest.fixture
def write_settings(data_dir: Path, gateway: TestGateway) -> AgencySettings:
    """Like `settings`, over a private copy that a test may change."""
    return AgencySettings(
        data_dir=data_dir, today=AS_OF, gateway=GatewayTrust(jwks_url=gateway.jwks_url)
    )


AppFactory = Callable[[AgencySettings], Starlette]


def audience_of(factory: AppFactory) -> str:
    """The agency an app factory builds, by the `AGENCY` of its module: the token audience."""
    agency: str = importlib.import_module(factory.__module__).AGENCY
    return agency


@pytest.fixture
def open_app(gateway: TestGateway) -> Iterator[Callable[[AppFactory, AgencySettings], Client]]:
    """Build an agency app and a client for it; its database is closed after the test."""
    apps: list[Starlette] = []

    def open_(factory: AppFactory, settings: AgencySettings) -> Client:
        app = factory(settings)
        apps.append(app)
        return Client(app, gateway, audience_of(factory))

    yield open_
    for app in apps:
        if app.state.database is not None:
            app.state.database.close()
