"""Signing in and out at the auth server, and the language choice.

GET  /signin    a new flow (state, nonce, PKCE) in the session ─▶ the issuer's /authorize
GET  /callback  the state checked ─▶ code redeemed ─▶ ID token checked ─▶ session id rotated
POST /signout   refresh token revoked ─▶ session dropped ─▶ the issuer's end-session endpoint
POST /language  `en` or `fi`, in the session and a long-lived cookie
"""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal import i18n
from portal.oidc import Flow, OidcError
from portal.web import (
    back_to,
    endpoint,
    message,
    portal_of,
    remember_language,
    render,
    session_of,
    signed_in,
)

log = logging.getLogger("portal")


@endpoint
async def signin(request: Request) -> Response:
    if signed_in(request):
        return RedirectResponse("/", status_code=303)
    flow = Flow.start()
    session_of(request).set(
        "flow",
        {
            "state": flow.state,
            "nonce": flow.nonce,
            "verifier": flow.verifier,
            "back": back_to(request.query_params.get("back")),
        },
    )
    return RedirectResponse(await portal_of(request).oidc.authorization_url(flow), status_code=303)


@endpoint
async def callback(request: Request) -> Response:
    portal, session = portal_of(request), session_of(request)
    held = session.pop("flow")
    query = request.query_params
    state = query.get("state", "")
    if not isinstance(held, dict) or not hmac.compare_digest(str(held["state"]), state):
        return await message(request, "signin.stale.title", "signin.stale.body", 400)
    if "error" in query:
        log.info("sign-in ended at the auth server: %s", query.get("error"))
        return await message(request, "signin.cancelled.title", "signin.cancelled.body", 400)
    flow = Flow(str(held["state"]), str(held["nonce"]), str(held["verifier"]))
    try:
        tokens, claims = await portal.oidc.redeem(query.get("code", ""), flow)
    except OidcError as error:
        if error.error == "temporarily_unavailable":
            raise
        log.warning("sign-in refused: %s", error)
        return await message(request, "signin.failed.title", "signin.failed.body", 400)
    # A new id for the signed-in session: whoever knew the old one learns nothing.
    await portal.sessions.rotate(session)
    session.set("tokens", tokens.as_dict())
    session.set("personal_id", claims["sub"])
    me = (await portal.gateway.run("Me", tokens.access_token)).me or {}
    name = me.get("name") or {}
    session.set("name", f"{name['given']} {name['family']}" if name else claims["sub"])
    return RedirectResponse(str(held.get("back") or "/"), status_code=303)


@endpoint
async def signout(request: Request) -> Response:
    portal, session = portal_of(request), session_of(request)
    tokens = session.get("tokens")
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if isinstance(tokens, dict) and tokens.get("refresh_token"):
        try:
            await portal.oidc.revoke(str(tokens["refresh_token"]), "refresh_token")
        except OidcError as error:
            # Signing out still ends the session here and at the auth server.
            log.warning("refresh token not revoked at sign-out: %s", error)
    await portal.sessions.delete(session)
    after = f"{portal.settings.public_url}/?notice=signedout"
    try:
        end_session = await portal.oidc.end_session_url(id_token, after)
    except OidcError:
        end_session = None
    return RedirectResponse(end_session or "/?notice=signedout", status_code=303)


@endpoint
async def language(request: Request) -> Response:
    form = await request.form()
    chosen = i18n.choose(str(form.get("language", "")))
    session_of(request).set("lang", chosen)
    response = RedirectResponse(back_to(form.get("back")), status_code=303)
    remember_language(response, chosen, portal_of(request).settings.secure)
    return response


@endpoint
async def not_found(request: Request) -> Response:
    return await render(
        request,
        "message.html",
        404,
        title_key="error.notfound.title",
        body_key="error.notfound.body",
    )
