"""What every page shares: the session around each request, CSRF on every POST, the token a
request reads with (refreshed before it expires; the acting token while acting for someone),
and rendering a template in the citizen's language with the layout's facts.

    request ─▶ session (cookie ─▶ store) ─▶ POST? CSRF ─▶ page ─▶ session written, cookie set
                                                        └─ SignedOut ─▶ "/" with a plain message
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from portal import csrf, i18n
from portal.graphql import Gateway, GatewayUnavailable, Result, TokenRejected
from portal.notices import RECENT_DAYS, Notice, derive
from portal.oidc import OidcClient, OidcError, Tokens
from portal.sessions import Session, SessionStore
from portal.settings import PortalSettings

log = logging.getLogger("portal")

TEMPLATES = Path(__file__).parent / "templates"
# Navigation: (path, catalogue key), in the order shown.
NAVIGATION = (
    ("/", "nav.overview"),
    ("/information", "nav.information"),
    ("/family", "nav.family"),
    ("/consents", "nav.consents"),
    ("/mandates", "nav.mandates"),
    ("/access-log", "nav.access_log"),
    ("/notifications", "nav.notifications"),
)
# How long the navigation's notification count is reused before it is counted again.
_COUNT_SECONDS = 60
_LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

Page = Callable[[Request], Awaitable[Response]]


class SignedOut(Exception):
    """The session holds no usable token any more: sign in again."""

    def __init__(self, notice: str = "expired") -> None:
        super().__init__(notice)
        self.notice = notice


@dataclass
class Portal:
    settings: PortalSettings
    sessions: SessionStore
    oidc: OidcClient
    gateway: Gateway
    templates: Jinja2Templates

    @property
    def cookie(self) -> str:
        # `__Host-`: only over https, for this host alone, on every path (RFC 6265bis).
        return "__Host-portal_session" if self.settings.secure else "portal_session"


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


def translator(request: Request) -> i18n.Translator:
    session = session_of(request)
    language = i18n.choose(session.get("lang"), request.cookies.get(i18n.COOKIE))
    return i18n.Translator(language, portal_of(request).settings.timezone)


def signed_in(request: Request) -> bool:
    return isinstance(session_of(request).get("tokens"), dict)


def endpoint(handler: Page) -> Page:
    """Run `handler` inside the browser's session: CSRF checked on POST, the session written
    back and its cookie set, a lost sign-in turned into the start page with a message."""

    async def wrapped(request: Request) -> Response:
        portal = portal_of(request)
        loaded = await portal.sessions.load(request.cookies.get(portal.cookie))
        session = loaded or portal.sessions.new()
        request.state.session = session
        if request.method == "POST":
            form = await request.form()
            if not csrf.check(session, form.get(csrf.FIELD)):
                response = await message(request, "error.csrf.title", "error.csrf.body", 403)
                return await _persist(portal, session, response, loaded is not None)
        try:
            response = await handler(request)
        except SignedOut as signed_out:
            if signed_out.notice == "signin":
                # Never signed in: sign in, then come back here.
                back = request.url.path if request.method == "GET" else "/"
                response = RedirectResponse(f"/signin?{urlencode({'back': back})}", 303)
            else:
                await _forget_sign_in(portal, session)
                response = RedirectResponse(f"/?notice={signed_out.notice}", status_code=303)
        except GatewayUnavailable as error:
            log.warning("gateway unavailable: %s", error)
            response = await message(request, "error.gateway.title", "error.gateway.body", 503)
        except OidcError as error:
            log.warning("auth server: %s", error)
            response = await message(request, "error.auth.title", "error.auth.body", 503)
        return await _persist(portal, session, response, loaded is not None)

    return wrapped


async def _forget_sign_in(portal: Portal, session: Session) -> None:
    """Drop the tokens (revoking the refresh token if there is one) but keep the language."""
    tokens = session.get("tokens")
    if isinstance(tokens, dict) and tokens.get("refresh_token"):
        try:
            await portal.oidc.revoke(str(tokens["refresh_token"]), "refresh_token")
        except OidcError as error:
            log.warning("refresh token not revoked: %s", error)
    language = session.get("lang")
    await portal.sessions.delete(session)
    session.data = {"lang": language} if language else {}
    await portal.sessions.rotate(session)


async def _persist(portal: Portal, session: Session, response: Response, known: bool) -> Response:
    if session.ended:
        response.delete_cookie(portal.cookie, path="/", secure=portal.settings.secure)
        return response
    if session.changed:
        await portal.sessions.save(session)
    elif known:
        await portal.sessions.touch(session)
    else:
        return response
    response.set_cookie(
        portal.cookie,
        session.id,
        max_age=portal.settings.session_ttl,
        path="/",
        httponly=True,
        samesite="lax",
        secure=portal.settings.secure,
    )
    return response


def remember_language(response: Response, language: str, secure: bool) -> None:
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=_LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


async def own_token(request: Request) -> str:
    """The citizen's own access token, refreshed when it is about to expire."""
    portal, session = portal_of(request), session_of(request)
    stored = session.get("tokens")
    if not isinstance(stored, dict):
        raise SignedOut("signin")
    tokens = Tokens.from_dict(stored)
    if tokens.expires_at - portal.settings.refresh_margin > time.time():
        return tokens.access_token
    if not tokens.refresh_token:
        raise SignedOut()
    try:
        fresh = await portal.oidc.refresh(tokens.refresh_token)
    except OidcError as error:
        log.info("refresh refused: %s", error)
        if error.error == "temporarily_unavailable":
            raise
        # A refused refresh token must not be revoked again on the way out.
        session.set("tokens", {**stored, "refresh_token": None})
        raise SignedOut() from None
    session.set(
        "tokens",
        {
            **fresh.as_dict(),
            "refresh_token": fresh.refresh_token or tokens.refresh_token,
            "id_token": fresh.id_token or tokens.id_token,
        },
    )
    return fresh.access_token


async def reading_token(request: Request) -> str:
    """The token pages read with: the acting token while acting for someone."""
    portal, session = portal_of(request), session_of(request)
    own = await own_token(request)
    acting = session.get("acting")
    if not isinstance(acting, dict):
        return own
    if int(acting["expires_at"]) - portal.settings.refresh_margin > time.time():
        return str(acting["access_token"])
    try:
        fresh = await portal.oidc.exchange(own, str(acting["personal_id"]))
    except OidcError as error:
        if error.error == "temporarily_unavailable":
            raise
        # The authority ended (the mandate was revoked, the child turned 18): stop acting.
        session.pop("acting")
        session.set("flash", ["acting.ended", {}])
        return own
    session.set("acting", {**acting, **fresh.as_dict()})
    return fresh.access_token


async def run(request: Request, operation: str, **variables: Any) -> Result:
    """Run one of the portal's documents at the gateway as the page's reader."""
    session = session_of(request)
    token = await reading_token(request)
    try:
        return await portal_of(request).gateway.run(operation, token, **variables)
    except TokenRejected:
        if not isinstance(session.get("acting"), dict):
            raise SignedOut() from None
    # The acting token was revoked (its mandate ended): stop acting, read as oneself.
    session.pop("acting")
    session.set("flash", ["acting.ended", {}])
    return await run_own(request, operation, **variables)


async def run_own(request: Request, operation: str, **variables: Any) -> Result:
    """Run a document with the citizen's own token, whoever they act for (managing their
    own account)."""
    token = await own_token(request)
    try:
        return await portal_of(request).gateway.run(operation, token, **variables)
    except TokenRejected:
        raise SignedOut() from None


async def notices(request: Request) -> tuple[Result, list[Notice]]:
    """What needs the citizen's attention, derived from what the schema has."""
    since = (datetime.now(UTC) - timedelta(days=RECENT_DAYS)).isoformat().replace("+00:00", "Z")
    result = await run(request, "Notifications", since=since)
    return result, derive(result, datetime.now(UTC))


def _whose(session: Session) -> object:
    """Whom the pages speak of: the person acted for, or the citizen."""
    acting = session.get("acting")
    return acting["personal_id"] if isinstance(acting, dict) else session.get("personal_id")


async def notification_count(request: Request) -> int | None:
    session = session_of(request)
    cached = session.get("notice_count")
    if (
        isinstance(cached, dict)
        and cached.get("whose") == _whose(session)
        and time.time() - float(cached.get("at", 0)) < _COUNT_SECONDS
    ):
        return int(cached["count"])
    try:
        _, items = await notices(request)
    except GatewayUnavailable:
        return None
    remember_count(request, items)
    return len(items)


def remember_count(request: Request, items: list[Notice]) -> None:
    """Keep the navigation's count for a minute (every page shows it)."""
    session = session_of(request)
    session.set("notice_count", {"whose": _whose(session), "at": time.time(), "count": len(items)})


def forget_count(request: Request) -> None:
    session_of(request).pop("notice_count")


async def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    portal, session = portal_of(request), session_of(request)
    t = translator(request)
    flash = session.pop("flash")
    count = await notification_count(request) if signed_in(request) else None
    acting = session.get("acting")
    return portal.templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": t.language,
            "path": request.url.path,
            "csrf_field": csrf.FIELD,
            "csrf_token": csrf.token_of(session),
            "signed_in": signed_in(request),
            "user_name": session.get("name"),
            "acting": acting if isinstance(acting, dict) else None,
            "navigation": NAVIGATION,
            "notice_count": count,
            "flash": _flash(t, flash),
            **context,
        },
        status_code=status,
    )


def refusal_key(error: dict[str, Any]) -> str:
    """A gateway refusal in plain words: the catalogue key for its error code."""
    code = (error.get("extensions") or {}).get("code")
    return {
        "UNAUTHORIZED_FIELD_OR_TYPE": "refusal.unauthorized",
        "FORBIDDEN": "refusal.forbidden",
        "UNAUTHENTICATED": "refusal.unauthenticated",
    }.get(str(code), "refusal.unavailable")


def _flash(t: i18n.Translator, flash: object) -> str | None:
    if isinstance(flash, list) and len(flash) == 2 and isinstance(flash[1], dict):
        return t(str(flash[0]), **flash[1])
    return t(flash) if isinstance(flash, str) else None


async def message(request: Request, title: str, body: str, status: int = 200) -> Response:
    return await render(request, "message.html", status, title_key=title, body_key=body)


def back_to(value: object, default: str = "/") -> str:
    """Only a path on the portal itself: never an open redirect."""
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return default
    return value


def see_other(request: Request, path: str, flash: str | None = None, **values: str) -> Response:
    """Redirect after a POST; `flash` (a catalogue key) is shown once on the next page."""
    if flash:
        session_of(request).set("flash", [flash, values])
    return RedirectResponse(path, status_code=303)


def utc_range(day_from: str, day_to: str, zone: str) -> tuple[str | None, str | None]:
    """Two dates of a filter form as the instants they start and end in the citizen's zone."""
    tz = ZoneInfo(zone)

    def at(day: str, end: bool) -> str | None:
        try:
            start = datetime.fromisoformat(day).replace(tzinfo=tz)
        except ValueError:
            return None
        moment = start + timedelta(days=1, microseconds=-1) if end else start
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    return at(day_from, False) if day_from else None, at(day_to, True) if day_to else None
