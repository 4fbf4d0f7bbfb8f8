"""`/consents`: what the citizen let platforms read, for what and until when; withdraw one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal.web import endpoint, forget_count, render, run, run_own, see_other


@endpoint
async def consents(request: Request) -> Response:
    result = await run(request, "Consents")
    me = result.me or {}
    listed = me.get("consents") or []
    order = {"ACTIVE": 0, "EXPIRED": 1, "REVOKED": 2}
    listed = sorted(listed, key=lambda c: (order.get(c["status"], 3), c["createdAt"]))
    return await render(
        request,
        "consents.html",
        consents=listed,
        refused=result.refused("me", "consents") or (None if result.me else result.refused("me")),
    )


@endpoint
async def withdraw(request: Request) -> Response:
    form = await request.form()
    result = await run_own(request, "RevokeConsent", id=str(form.get("id", "")))
    forget_count(request)
    revoked = (result.data or {}).get("revokeConsent")
    if result.errors or not isinstance(revoked, dict):
        return see_other(request, "/consents", "consents.withdraw_failed")
    name = str((revoked.get("platform") or {}).get("name", ""))
    return see_other(request, "/consents", "consents.withdrawn", platform=name)
