"""The ASGI app every agency serves: `GET /health` and GraphQL at `/graphql`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, Literal, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from subgraphs.common.context import AgencyContext
from subgraphs.common.db import Database
from subgraphs.common.settings import AgencySettings

L = TypeVar("L")


class _AgencyGraphQL(GraphQL[AgencyContext[L], None], Generic[L]):
    def __init__(
        self, schema: Schema, settings: AgencySettings, make_loaders: Callable[[], L]
    ) -> None:
        # The IDE loads its assets from a CDN; agencies are reached through the gateway's
        # self-hosted GraphiQL, so it is offered here for local debugging only.
        ide: Literal["graphiql"] | None = "graphiql" if settings.env == "development" else None
        super().__init__(schema, graphql_ide=ide)
        self._settings = settings
        self._make_loaders = make_loaders

    async def get_context(self, request: Request | WebSocket, response: Any) -> AgencyContext[L]:
        return AgencyContext(request=request, settings=self._settings, loaders=self._make_loaders())


def create_app(
    *,
    agency: str,
    schema: Schema,
    settings: AgencySettings,
    make_loaders: Callable[[], L],
    database: Database | None = None,
) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        if database is not None and not database.ping():
            return JSONResponse({"status": "unavailable", "agency": agency}, status_code=503)
        return JSONResponse({"status": "ok", "agency": agency})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if database is not None:
            database.close()

    graphql = _AgencyGraphQL(schema, settings, make_loaders)
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.database = database
    return app
