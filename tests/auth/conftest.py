from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.app import create_app
from auth.context import AuthContext
from auth.db import open_database
from auth.settings import AuthSettings
from subgraphs.common.settings import GatewayTrust
from tests.auth.support import free_port, serve, write_fixtures
from tests.subgraphs.gateway_tokens import Caller, TestGateway, serve_gateway

POSTGRES_URL = os.environ.get(
    "AUTH_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
T = TypeVar("T")
REDIS_URL = os.environ.get("AUTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class RunningAuth:
    url: str
    settings: AuthSettings
    ctx: AuthContext
    data_dir: Path

    loop: asyncio.AbstractEventLoop
    # Signs the identity tokens the consent subgraph at /graphql accepts.
    gateway: TestGateway

    def call(self, awaitable: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's own loop (its engine lives there)."""
        return asyncio.run_coroutine_threadsafe(awaitable, self.loop).result(timeout=30)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10)

    def subgraph_token(self, caller: str | Caller) -> str:
        """The gateway's identity token for the consent subgraph; a personal id is the
        citizen's own sign-in."""
        return self.gateway.mint("consent", Caller(caller) if isinstance(caller, str) else caller)


def make_settings(data_dir: Path, port: int, **overrides: object) -> AuthSettings:
    population, clients = write_fixtures(data_dir, list(overrides.pop("extra_redirects", [])))  # type: ignore[call-overload]
    values: dict[str, object] = {
        "CITIZEN_DATA_DIR": data_dir,
        "CITIZEN_ENV": "development",
        "issuer": f"http://127.0.0.1:{port}",
        "population_file": population,
        "clients_file": clients,
        "admin_token": "admin-token-for-tests",
    }
    values.update(overrides)
    return AuthSettings.model_validate(values)


@pytest.fixture(scope="session")
def gateway() -> Iterator[TestGateway]:
    """The gateway's signing key, its JWKS served on a real port."""
    with serve_gateway() as running:
        yield running


def gateway_trust(gateway: TestGateway) -> GatewayTrust:
    return GatewayTrust(jwks_url=gateway.jwks_url)


@pytest.fixture
def auth_server(tmp_path: Path, gateway: TestGateway) -> Iterator[RunningAuth]:
    port = free_port()
    settings = make_settings(tmp_path, port)
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url:
        yield RunningAuth(url, settings, app.state.ctx, tmp_path, app.state.loop, gateway)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the `test` database, dropped afterwards."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    schema = "auth_test_" + secrets.token_hex(6)
    yield schema

    async def drop() -> None:
        engine = create_async_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()

    asyncio.run(drop())


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The auth database on each dialect, migrated."""
    if request.param == "sqlite":
        db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'auth.sqlite3'}")
        yield db
        await db.dispose()
        return
    schema = "auth_test_" + secrets.token_hex(6)
    db = await open_database(POSTGRES_URL, schema)
    try:
        yield db
    finally:
        async with db.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await db.dispose()
