"""Acting for someone: a child in the citizen's care, or a principal whose mandate they hold.
The citizen's own token is exchanged (RFC 8693) for one that speaks for the other person; it
stays in the session, and every page reads with it until the citizen stops."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal.oidc import OidcError
from portal.web import (
    back_to,
    endpoint,
    forget_count,
    own_token,
    portal_of,
    see_other,
    session_of,
)


@endpoint
async def act_for(request: Request) -> Response:
    form = await request.form()
    principal = str(form.get("personal_id", "")).strip()
    came_from = back_to(form.get("back"), "/")
    portal, session = portal_of(request), session_of(request)
    try:
        tokens = await portal.oidc.exchange(await own_token(request), principal)
    except OidcError as error:
        if error.error == "temporarily_unavailable":
            raise
        return see_other(request, came_from, "acting.refused")
    me = (await portal.gateway.run("Me", tokens.access_token)).me or {}
    name = me.get("name") or {}
    shown = f"{name['given']} {name['family']}" if name else principal
    session.set("acting", {"personal_id": principal, "name": shown, **tokens.as_dict()})
    forget_count(request)
    return see_other(request, "/", "acting.started", name=shown)


@endpoint
async def stop(request: Request) -> Response:
    session = session_of(request)
    acting = session.pop("acting")
    forget_count(request)
    name = str(acting.get("name", "")) if isinstance(acting, dict) else ""
    form = await request.form()
    return see_other(request, back_to(form.get("back"), "/"), "acting.stopped", name=name)
