"""Fixtures for the agency subgraphs: a seeded data directory and a GraphQL client per app."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from subgraphs.common.settings import AgencySettings
from subgraphs.seed import AS_OF, seed
from tests.subgraphs.helpers import Client

# Big enough for every kind of life event to occur, small enough to seed in well under a second.
CITIZENS = 600


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("seeded")
    seed(directory, CITIZENS)
    return directory


@pytest.fixture
def data_dir(seeded_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded registers, for tests that write."""
    directory = tmp_path / "data"
    shutil.copytree(seeded_dir, directory, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return directory


@pytest.fixture
def settings(seeded_dir: Path) -> AgencySettings:
    """Development settings over the shared registers, clock pinned to the seed's date."""
    return AgencySettings(data_dir=seeded_dir, env="development", today=AS_OF)


@pytest.fixture
def write_settings(data_dir: Path) -> AgencySettings:
    """Like `settings`, over a private copy that a test may change."""
    return AgencySettings(data_dir=data_dir, env="development", today=AS_OF)


AppFactory = Callable[[AgencySettings], Starlette]


@pytest.fixture
def open_app() -> Iterator[Callable[[AppFactory, AgencySettings], Client]]:
    """Build an agency app and a client for it; its database is closed after the test."""
    apps: list[Starlette] = []

    def open_(factory: AppFactory, settings: AgencySettings) -> Client:
        app = factory(settings)
        apps.append(app)
        return Client(app)

    yield open_
    for app in apps:
        if app.state.database is not None:
            app.state.database.close()
