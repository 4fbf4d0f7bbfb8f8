"""The bank's web application: its pages, the code flow's two ends and the reads.

GET  /             Apply for a mortgage (the share button)
POST /share        ─▶ 303 to the citizen account's authorization endpoint
GET  /callback     code for tokens ─▶ read the figures ─▶ 303 /application
GET  /application  the figures read, what the citizen did not share, or why reading failed
POST /refresh      refresh the token (rotated) and read again
POST /start-again  forget the tokens and figures
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from examples.mortgage_bank.oauth import (
    IdTokenInvalid,
    Pending,
    TokenRefused,
    authorization_url,
    exchange_code,
)
from examples.mortgage_bank.reading import Reader
from examples.mortgage_bank.registration import (
    REGISTRATION_FILE,
    Credentials,
    Provider,
    ProviderUnavailable,
    RegistrationRefused,
    discover,
    ensure_registered,
)
from examples.mortgage_bank.security import SecurityHeaders
from examples.mortgage_bank.sessions import COOKIE, BankSession, Problem, SessionStore
from examples.mortgage_bank.settings import BankSettings

HERE = Path(__file__).resolve().parent
CATEGORY_TITLES = {"identity": "Identity (your name)", "income": "Income"}
PROBLEMS: dict[Problem, str] = {
    "withdrawn": (
        "The citizen withdrew their consent on the citizen account, so we can no longer "
        "read their data. Ask them to share it again."
    ),
    "expired": (
        "Our permission to read the citizen's data has run out and cannot be renewed, so we "
        "can no longer read their data. Ask them to share it again."
    ),
    "unavailable": (
        "The citizen account is not answering right now, so we could not read the figures. "
        "Nothing is lost: try again in a few minutes."
    ),
}

_log = logging.getLogger(__name__)


def euros(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


def moment(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M:%S UTC on %-d %B %Y")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


class Bank:
    def __init__(self, settings: BankSettings, public_url: str) -> None:
        self.settings = settings
        self.public_url = public_url.rstrip("/")
        self.redirect_uri = self.public_url + "/callback"
        self.sessions = SessionStore()
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters.update(euros=euros, moment=moment, iso=iso)
        self._http: aiohttp.ClientSession | None = None
        self._provider: Provider | None = None
        self._credentials: Credentials | None = None
        self._connecting = asyncio.Lock()

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._http is not None, "used outside the app's lifespan"
        return self._http

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            self._http = http
            # Registered at start when the citizen account answers; otherwise when a citizen
            # first wants to share, so the bank's own pages work meanwhile.
            try:
                await self.connect()
            except (ProviderUnavailable, RegistrationRefused) as error:
                _log.warning("not registered at %s yet: %s", self.settings.issuer, error)
            yield
            self._http = None

    async def connect(self) -> tuple[Provider, Credentials]:
        async with self._connecting:
            if self._provider is None or self._credentials is None:
                provider = await discover(self.http, self.settings.issuer)
                self._credentials = await ensure_registered(
                    self.http,
                    provider,
                    self.settings.data_dir,
                    self.redirect_uri,
                    self.public_url,
                    self.settings.initial_access_token_file,
                )
                self._provider = provider
            return self._provider, self._credentials

    def _registration_lost(self) -> None:
        """The issuer no longer knows the bank (its data was wiped): register again next time."""
        _log.warning("the citizen account refused the bank's client credentials")
        self._credentials = None
        (self.settings.data_dir / REGISTRATION_FILE).unlink(missing_ok=True)

    # -- pages

    def _session(self, request: Request) -> BankSession | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def _page(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        return self.templates.TemplateResponse(
            request, template, context, status_code=status, headers={"Cache-Control": "no-store"}
        )

    def _message(self, request: Request, heading: str, text: str, status: int) -> Response:
        return self._page(request, "message.html", {"heading": heading, "text": text}, status)

    async def apply(self, request: Request) -> Response:
        session = self._session(request)
        fresh = session is None
        session = session or self.sessions.new()
        response = self._page(request, "apply.html", {"session": session})
        if fresh:
            response.set_cookie(
                COOKIE,
                session.id,
                httponly=True,
                samesite="lax",  # the citizen account's redirect back is a top-level GET
                secure=self.public_url.startswith("https://"),
            )
        return response

    async def _posted(self, request: Request) -> BankSession | None:
        """The session a POST belongs to, if it carries that session's CSRF token."""
        session = self._session(request)
        form = await request.form()
        if session is None or not session.csrf_matches(str(form.get("csrf", ""))):
            return None
        return session

    def _expired_form(self, request: Request) -> Response:
        return self._message(
            request,
            "This page has expired",
            "Go back to the start page and try again.",
            403,
        )

    async def share(self, request: Request) -> Response:
        session = await self._posted(request)
        if session is None:
            return self._expired_form(request)
        try:
            provider, credentials = await self.connect()
        except ProviderUnavailable as error:
            _log.warning("cannot reach the citizen account: %s", error)
            return self._message(request, "Please try again later", PROBLEMS["unavailable"], 503)
        except RegistrationRefused as error:
            _log.error("cannot register at the citizen account: %s", error)
            return self._message(
                request,
                "Sharing is not available yet",
                "The bank is not yet registered with the citizen account. Please try again "
                "later, or apply at a branch.",
                503,
            )
        session.pending = Pending.new()
        return RedirectResponse(authorization_url(provider, credentials, session.pending), 303)

    async def callback(self, request: Request) -> Response:
        session = self._session(request)
        pending = session.pending if session else None
        given = request.query_params.get("state", "")
        if session is None or pending is None or not pending.state_matches(given):
            return self._message(
                request,
                "This link has expired",
                "We did not send you to the citizen account with this link, or it was already "
                "used. Go back to the start page and try again.",
                400,
            )
        session.pending = None
        if request.query_params.get("error") == "access_denied":
            return self._message(
                request,
                "You did not share anything",
                "You chose not to share your data, so we cannot check your identity or income "
                "online. You can start again whenever you like.",
                200,
            )
        code = request.query_params.get("code")
        if not code:
            _log.warning("the citizen account sent back %s", request.query_params.get("error"))
            return self._message(
                request,
                "Sharing did not work",
                "The citizen account could not give us your data. Please start again.",
                400,
            )
        try:
            provider, credentials = await self.connect()
            async with session.lock:
                session.tokens = await exchange_code(
                    self.http, provider, credentials, code, pending
                )
                session.problem = None
                await self._reader(provider, credentials).read(session, force_refresh=False)
        except TokenRefused as error:
            if error.error == "invalid_client":
                self._registration_lost()
            return self._message(
                request,
                "Sharing did not work",
                "The citizen account did not accept our request. Please start again.",
                400,
            )
        except IdTokenInvalid as error:
            _log.error("an ID token failed its checks: %s", error)
            session.forget_access(None)
            return self._message(
                request,
                "Sharing did not work",
                "We could not confirm that the answer came from the citizen account. Please "
                "start again.",
                502,
            )
        except (ProviderUnavailable, RegistrationRefused):
            return self._message(request, "Please try again later", PROBLEMS["unavailable"], 503)
        return RedirectResponse("/application", 303)

    async def application(self, request: Request) -> Response:
        session = self._session(request)
        if session is None or (session.tokens is None and session.problem is None):
            return RedirectResponse("/", 303)
        granted = session.tokens.granted if session.tokens else ()
        return self._page(
            request,
            "application.html",
            {
                "session": session,
                "figures": session.figures,
                "problem": session.problem,
                "problem_text": PROBLEMS[session.problem] if session.problem else "",
                "granted": [(c, CATEGORY_TITLES.get(c, c.capitalize())) for c in granted],
            },
        )

    async def refresh_figures(self, request: Request) -> Response:
        session = await self._posted(request)
        if session is None:
            return self._expired_form(request)
        if session.tokens is None:
            return RedirectResponse("/application", 303)
        try:
            provider, credentials = await self.connect()
        except (ProviderUnavailable, RegistrationRefused):
            session.problem = "unavailable"
            return RedirectResponse("/application", 303)
        async with session.lock:
            await self._reader(provider, credentials).read(session, force_refresh=True)
        return RedirectResponse("/application", 303)

    async def start_again(self, request: Request) -> Response:
        session = await self._posted(request)
        if session is None:
            return self._expired_form(request)
        session.forget_access(None)
        return RedirectResponse("/", 303)

    async def privacy(self, request: Request) -> Response:
        return self._page(request, "privacy.html", {})

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    def _reader(self, provider: Provider, credentials: Credentials) -> Reader:
        return Reader(
            self.http,
            provider,
            credentials,
            self.settings.gateway_url,
            self.settings.refresh_margin,
            self._registration_lost,
        )


def create_app(settings: BankSettings, public_url: str) -> Starlette:
    bank = Bank(settings, public_url)
    return Starlette(
        routes=[
            Route("/", bank.apply, methods=["GET"]),
            Route("/share", bank.share, methods=["POST"]),
            Route("/callback", bank.callback, methods=["GET"]),
            Route("/application", bank.application, methods=["GET"]),
            Route("/refresh", bank.refresh_figures, methods=["POST"]),
            Route("/start-again", bank.start_again, methods=["POST"]),
            Route("/privacy", bank.privacy, methods=["GET"]),
            Route("/health", bank.health, methods=["GET"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=bank.lifespan,
    )
