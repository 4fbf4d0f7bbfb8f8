"""OpenID Connect RP-Initiated Logout 1.0: `/logout`, the `end_session_endpoint`.

    GET /logout?id_token_hint&client_id&post_logout_redirect_uri&state
        hint checked (our signature, iss, an ID token of a client we know; expired is fine)
        ─▶ post_logout_redirect_uri checked exactly against the client's registered list
        ─▶ the browser's sign-in session here ended ─▶ 303 back to the client (with `state`)

Without a valid hint naming the person signed in here, nothing is ended on a GET: the page
asks the citizen to confirm (a POST, which a cross-site form cannot make with the session
cookie, SameSite=Lax). A redirect URI that is not registered is never followed: the page says
the citizen is signed out instead, so `/logout` is no open redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from auth.clients import Client
from auth.context import AuthContext
from auth.sessions import COOKIE
from auth.tokens import ACCESS_TOKEN_TYP


class LogoutRefused(Exception):
    pass


class EndSession:
    def __init__(self, ctx: AuthContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    async def __call__(self, request: Request) -> Response:
        if request.method == "POST":
            form = await request.form()
            params = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        else:
            params = dict(request.query_params)
        try:
            hint, client = await self._hint_and_client(params)
            target = self._target(params, client)
        except LogoutRefused as refusal:
            return self._page(request, "Signing out failed", str(refusal), 400)
        cookie = request.cookies.get(COOKIE)
        user = await self.ctx.sessions.get(cookie)
        confirmed = request.method == "POST" and params.get("confirm") == "yes"
        if user is not None and cookie is not None:
            if not confirmed and (hint is None or hint.get("sub") != user.personal_id):
                return self._confirm(request, params)
            await self.ctx.sessions.delete(cookie)
        response: Response
        if target is not None:
            response = RedirectResponse(target, status_code=303)
        else:
            response = self._page(request, "You are signed out", "You can close this window.", 200)
        response.delete_cookie(COOKIE, httponly=True, samesite="lax")
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _hint_and_client(
        self, params: dict[str, str]
    ) -> tuple[dict[str, Any] | None, Client | None]:
        hint = None
        client_id = params.get("client_id") or None
        if params.get("id_token_hint"):
            hint = self._id_token(params["id_token_hint"])
            audience = hint.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if client_id is None and len(audiences) == 1:
                client_id = str(audiences[0])
            if client_id not in audiences:
                raise LogoutRefused("The sign-in hint was not issued to this service.")
        client = await self.ctx.clients.get(client_id) if client_id else None
        if client_id and client is None:
            raise LogoutRefused("The service that sent you here is not known.")
        return hint, client

    def _id_token(self, token: str) -> dict[str, Any]:
        """One of our ID tokens, signed by any key we ever had; §2 lets an expired one hint."""
        try:
            decoded = self.ctx.keys.verify(token, published_only=False)
        except (JoseError, ValueError):
            raise LogoutRefused("The sign-in hint is not valid.") from None
        claims = dict(decoded.claims)
        if decoded.header.get("typ") == ACCESS_TOKEN_TYP or claims.get("iss") != (
            self.ctx.settings.issuer
        ):
            raise LogoutRefused("The sign-in hint is not an ID token of this server.")
        return claims

    def _target(self, params: dict[str, str], client: Client | None) -> str | None:
        uri = params.get("post_logout_redirect_uri")
        if not uri:
            return None
        if client is None:
            raise LogoutRefused("The service that sent you here did not say who it is.")
        # Exact string comparison, as for redirect URIs.
        if uri not in client.metadata.post_logout_redirect_uris:
            raise LogoutRefused("The address to return to is not registered for this service.")
        if not params.get("state"):
            return uri
        parts = urlsplit(uri)
        query = "&".join(q for q in (parts.query, urlencode({"state": params["state"]})) if q)
        return urlunsplit(parts._replace(query=query))

    def _page(self, request: Request, heading: str, message: str, status: int) -> Response:
        return self.templates.TemplateResponse(
            request,
            "message.html",
            {"heading": heading, "message": message, "error": status >= 400},
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )

    def _confirm(self, request: Request, params: dict[str, str]) -> Response:
        kept = {
            k: params[k]
            for k in ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")
            if params.get(k)
        }
        return self.templates.TemplateResponse(
            request, "logout.html", {"params": kept}, headers={"Cache-Control": "no-store"}
        )
