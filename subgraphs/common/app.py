"""The ASGI app every agency serves: `GET /health` and GraphQL at `/graphql`.

`/graphql` sits behind `IdentityGuard`: only requests carrying the gateway's identity token
for this agency reach GraphQL. `/health` stays open for the launcher and orchestrators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from subgraphs.common.context import AgencyContext
from subgraphs.common.db import Database
from subgraphs.common.identity import IdentityGuard, gateway_verifier, identity_of
from subgraphs.common.settings import AgencySettings

L = TypeVar("L")


class _AgencyGraphQL(GraphQL[AgencyContext[L], None], Generic[L]):
    def __init__(
        self, schema: Schema, settings: AgencySettings, make_loaders: Callable[[], L]
    ) -> None:
        # No IDE: a browser cannot present the gateway's identity token, so it would only
        # ever see 401. GraphiQL is the gateway's.
        super().__init__(schema, graphql_ide=None)
        self._settings = settings
        self._make_loaders = make_loaders

    async def get_context(self, request: Request | WebSocket, response: Any) -> AgencyContext[L]:
        return AgencyContext(
            settings=self._settings, identity=identity_of(request), loaders=self._make_loaders()
        )


def create_app(
    *,
    agency: str,
    schema: Schema,
    settings: AgencySettings,
    make_loaders: Callable[[], L],
    database: Database | None = None,
) -> Starlette:
    # The agency's name is the subgraph's name in the supergraph: the token's audience.
    verifier = gateway_verifier(settings.gateway, audience=agency)

    async def health(request: Request) -> JSONResponse:
        if database is not None and not database.ping():
            return JSONResponse({"status": "unavailable", "agency": agency}, status_code=503)
        return JSONResponse({"status": "ok", "agency": agency})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if database is not None:
            database.close()

    graphql = IdentityGuard(_AgencyGraphQL(schema, settings, make_loaders), verifier)
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.database = database
    return app
