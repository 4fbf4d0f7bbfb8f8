"""The authorization endpoint: sign the citizen in, show the consent page, act on the choice.

    GET  /authorize   validate (authlib + our hooks) → sign in if needed → consent page
    POST /authorize   the citizen's choice → consent record → code (or access_denied)

Errors before the client and redirect URI are known are shown here, never redirected. Every
answer that goes back to the client, success or error, carries `iss` (RFC 9207), so a client
talking to several servers can tell which one answered (mix-up attacks). A `request_uri`
(auth/par.py) stands for the request the client pushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from auth.authority import ACCOUNT_SCOPE
from auth.authorization_details import (
    CATEGORY_DESCRIPTIONS,
    CitizenDataDetail,
    requested_categories,
    restrict,
)
from auth.bridge import run_authlib
from auth.clients import Client
from auth.consents import consent_expiry
from auth.context import AuthContext
from auth.identity import IdentityProvider
from auth.par import PushedRequests, authorization_parameters
from auth.server import AuthorizationServer, OAuthRequest, oauth_request, to_response
from auth.sessions import COOKIE, Authentication
from auth.tokens import Grantee


class AuthorizePages:
    def __init__(
        self,
        ctx: AuthContext,
        server: AuthorizationServer,
        identity: IdentityProvider | None,
        templates: Jinja2Templates,
        pushed: PushedRequests,
    ) -> None:
        self.ctx = ctx
        self.server = server
        self.identity = identity
        self.templates = templates
        self.pushed = pushed

    def respond(self, result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
        """An authorization response to the client, with `iss` (RFC 9207)."""
        status, body, headers = result
        issuer = self.ctx.settings.issuer
        headers = [
            (k, add_params_to_uri(v, [("iss", issuer)]) if k.lower() == "location" else v)
            for k, v in headers
        ]
        return to_response((status, body, headers))

    async def _unregistered_redirect_uri(self, oauth: OAuthRequest) -> str | None:
        redirect_uri = oauth.payload.redirect_uri
        client_id = oauth.payload.client_id
        client = await self.ctx.clients.get(client_id) if client_id else None
        if client is None or not redirect_uri or client.check_redirect_uri(redirect_uri):
            return None
        return (
            f"{client.client_name} asked us to send you back to {redirect_uri}, but that is not "
            "an address it registered with us. It could belong to someone else, so we will not "
            "send you or anything about you there. Go back to the service and tell them."
        )

    def message(self, request: Request, heading: str, message: str, status: int) -> Response:
        return self.templates.TemplateResponse(
            request,
            "message.html",
            {"heading": heading, "message": message, "error": status >= 400},
            status_code=status,
        )

    async def get(self, request: Request) -> Response:
        session = request.cookies.get(COOKIE)
        user = await self.ctx.sessions.get(session)
        outcome, found = await authorization_parameters(
            self.ctx,
            self.pushed,
            list(request.query_params.multi_items()),
            consume=user is not None and session is not None,
        )
        if outcome == "refused":
            assert isinstance(found, str)
            return self.message(request, "This link to sign in is not valid", found, 400)
        assert isinstance(found, list)
        params = found
        oauth = await oauth_request(request, self.ctx.settings.issuer, query=params)
        try:
            grant = await run_authlib(self.server.get_consent_grant, oauth, user)
        except OAuth2Error as error:
            if error.redirect_uri:
                return self.respond(error())
            unregistered = await self._unregistered_redirect_uri(oauth)
            if unregistered is not None:
                return self.message(request, "This link to sign in is not valid", unregistered, 400)
            return self.message(
                request,
                "This link to sign in is not valid",
                f"The service that sent you here made a mistake: {error.description or error.error}"
                " Go back to it and try again.",
                400,
            )
        if user is None or session is None:
            if self.identity is None:
                return self.message(
                    request, "Sign-in is not available", "No identity provider is set up.", 503
                )
            return_to = request.url.path + ("?" + request.url.query if request.url.query else "")
            return RedirectResponse(self.identity.sign_in_url(return_to), status_code=303)

        client: Client = oauth.client
        details: list[CitizenDataDetail] = oauth.citizen_data
        openid = "openid" in (oauth.payload.scope or "").split()
        if client.first_party:
            # The citizen's own app reads the citizen's own data: nobody else is given
            # anything, so there is no consent to ask for or record.
            own = [f"{category}:read" for category in requested_categories(details)]
            if ACCOUNT_SCOPE in (oauth.payload.scope or "").split():
                own.append(ACCOUNT_SCOPE)
            return await self._issue(oauth, grant, user, [], openid, own)
        request_id = await self.ctx.sessions.hold_request(session, params)
        person = await self.ctx.register.person(user.personal_id)
        return self.templates.TemplateResponse(
            request,
            "consent.html",
            {
                "client": client,
                "details": details,
                "openid": openid,
                "duration": self._duration(details),
                "categories": [
                    {
                        "name": c,
                        "title": c.capitalize(),
                        "description": CATEGORY_DESCRIPTIONS[c],
                    }
                    for c in requested_categories(details)
                ],
                "person_name": person.name if person else user.personal_id,
                "request_id": request_id,
            },
            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
        )

    def _duration(self, details: list[CitizenDataDetail]) -> str:
        if not details:
            return "Only to sign you in"
        settings = self.ctx.settings
        now = int(datetime.now(UTC).timestamp())
        end, recurrence = consent_expiry(
            details, now, settings.code_ttl + settings.access_token_ttl, settings.max_consent_days
        )
        if recurrence == "one_time":
            return "Once: they can look one time, right now"
        day = datetime.fromtimestamp(end, UTC).strftime("%-d %B %Y")
        return f"Until {day}, unless you withdraw it sooner"

    async def post(self, request: Request) -> Response:
        form = await request.form()
        session = request.cookies.get(COOKIE)
        user = await self.ctx.sessions.get(session)
        if user is None or session is None:
            return self.message(
                request, "You were signed out", "Go back to the service and start again.", 400
            )
        params = await self.ctx.sessions.take_request(session, str(form.get("request_id", "")))
        if params is None:
            return self.message(
                request,
                "This page has expired",
                "Your answer was already sent, or took too long. Go back to the service and "
                "start again.",
                400,
            )
        uri = self.ctx.settings.issuer.rstrip("/") + "/authorize?" + urlencode(params)
        oauth = OAuthRequest("GET", uri, request.headers, params, [])
        try:
            grant = await run_authlib(self.server.get_consent_grant, oauth, user)
        except OAuth2Error as error:
            if error.redirect_uri:
                return self.respond(error())
            return self.message(request, "This request is no longer valid", str(error), 400)
        details: list[CitizenDataDetail] = oauth.citizen_data
        openid = "openid" in (oauth.payload.scope or "").split()
        chosen = {str(v) for v in form.getlist("category")}
        approved = restrict(details, chosen)
        if form.get("decision") != "approve" or not (approved or (openid and not details)):
            return self.respond(
                await run_authlib(self.server.create_authorization_response, oauth, None, grant)
            )
        return await self._issue(oauth, grant, user, approved, openid)

    async def _issue(
        self,
        oauth: OAuthRequest,
        grant: Any,
        user: Authentication,
        approved: list[CitizenDataDetail],
        openid: bool,
        own_scopes: Sequence[str] = (),
    ) -> Response:
        consent = None
        if approved:
            consent = await self.ctx.consents.grant(
                user.personal_id,
                oauth.client,
                approved,
                receipt_subject=self.ctx.subjects.subject(oauth.client, user.personal_id),
            )
        scopes = (
            (["openid"] if openid else [])
            + (consent.scopes() if consent else [])
            + list(own_scopes)
        )
        grantee = Grantee(
            personal_id=user.personal_id,
            acr=user.acr,
            amr=user.amr,
            auth_time=user.auth_time,
            consent_id=consent.id if consent else None,
            extra={"scope": " ".join(scopes)},
        )
        return self.respond(
            await run_authlib(self.server.create_authorization_response, oauth, grantee, grant)
        )
