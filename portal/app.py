"""The portal as one Starlette app: routes, and what it opens at start and closes at the end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from portal.graphql import Gateway
from portal.headers import SecurityHeaders
from portal.oidc import OidcClient
from portal.pages import (
    access_log,
    acting,
    consents,
    family,
    information,
    mandates,
    notifications,
    signin,
    start,
)
from portal.sessions import SessionStore
from portal.settings import PortalSettings
from portal.web import TEMPLATES, Portal, refusal_key

STATIC = Path(__file__).parent / "static"
# Expired sessions are purged this often (seconds).
_PURGE_EVERY = 600


async def _purge(sessions: SessionStore) -> None:
    while True:
        await sessions.purge()
        await asyncio.sleep(_PURGE_EVERY)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def not_found(request: Request, exc: Exception) -> Response:
    return await signin.not_found(request)


def create_app(settings: PortalSettings) -> Starlette:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["refusal_key"] = refusal_key

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sessions = SessionStore(settings.data_dir / "sessions.sqlite3", settings.session_ttl)
        await sessions.open()
        purging = asyncio.create_task(_purge(sessions))
        timeout = aiohttp.ClientTimeout(total=settings.http_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            app.state.portal = Portal(
                settings,
                sessions,
                OidcClient(settings, http),
                Gateway(settings.gateway_url, http),
                templates,
            )
            try:
                yield
            finally:
                purging.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purging
                await sessions.close()

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/", start.home, methods=["GET"]),
        Route("/signin", signin.signin, methods=["GET"]),
        Route("/callback", signin.callback, methods=["GET"]),
        Route("/signout", signin.signout, methods=["POST"]),
        Route("/language", signin.language, methods=["POST"]),
        Route("/information", information.information, methods=["GET"]),
        Route("/family", family.family, methods=["GET"]),
        Route("/consents", consents.consents, methods=["GET"]),
        Route("/consents/withdraw", consents.withdraw, methods=["POST"]),
        Route("/mandates", mandates.mandates, methods=["GET"]),
        Route("/mandates/give", mandates.give, methods=["POST"]),
        Route("/mandates/accept", mandates.accept, methods=["POST"]),
        Route("/mandates/end", mandates.end, methods=["POST"]),
        Route("/act", acting.act_for, methods=["POST"]),
        Route("/act/stop", acting.stop, methods=["POST"]),
        Route("/access-log", access_log.access_log, methods=["GET"]),
        Route("/notifications", notifications.notifications, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders, issuer=settings.issuer)],
        exception_handlers={404: not_found},
    )
