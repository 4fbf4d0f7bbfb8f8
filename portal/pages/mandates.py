"""`/mandates`: mandates the citizen gave and received; give one, accept one, end one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from portal.oidc import CATEGORIES
from portal.web import endpoint, forget_count, render, run, run_own, see_other

# What the population register's personal ids look like (YYYYMMDD-NNNN); anything else is a
# typing mistake the citizen should hear about before the gateway is asked.
_PERSONAL_ID = re.compile(r"^\d{8}-\d{4}$")


async def _page(
    request: Request, status: int = 200, errors: dict[str, str] | None = None, **form: Any
) -> Response:
    result = await run(request, "Mandates")
    me = result.me or {}
    mine = str(me.get("personalId", ""))
    mandates = me.get("mandates") or []
    return await render(
        request,
        "mandates.html",
        status,
        given=[m for m in mandates if m["principalId"] == mine],
        received=[m for m in mandates if m["delegateId"] == mine],
        refused=result.refused("me", "mandates") or (None if result.me else result.refused("me")),
        categories=CATEGORIES,
        errors=errors or {},
        form={"delegate": "", "themes": [], "valid_until": "", **form},
    )


@endpoint
async def mandates(request: Request) -> Response:
    return await _page(request)


def _check(form: FormData) -> tuple[dict[str, str], dict[str, Any]]:
    delegate = str(form.get("delegate", "")).strip()
    themes = [str(v) for v in form.getlist("themes") if str(v) in CATEGORIES]
    until = str(form.get("valid_until", "")).strip()
    errors = {}
    if not _PERSONAL_ID.match(delegate):
        errors["delegate"] = "mandates.error.delegate"
    if not themes:
        errors["themes"] = "mandates.error.themes"
    try:
        ends = date.fromisoformat(until)
    except ValueError:
        errors["valid_until"] = "mandates.error.valid_until"
    else:
        if ends <= date.today():
            errors["valid_until"] = "mandates.error.valid_until_past"
    return errors, {"delegate": delegate, "themes": themes, "valid_until": until}


@endpoint
async def give(request: Request) -> Response:
    errors, values = _check(await request.form())
    if errors:
        return await _page(request, 400, errors, **values)
    # Valid through the whole of the last day the citizen chose.
    ends = datetime.combine(date.fromisoformat(values["valid_until"]), time.max, UTC)
    result = await run_own(
        request,
        "GrantMandate",
        delegate=values["delegate"],
        themes=[theme.upper() for theme in values["themes"]],
        validUntil=ends.isoformat().replace("+00:00", "Z"),
    )
    if result.errors or not (result.data or {}).get("grantMandate"):
        return await _page(request, 400, {"delegate": "mandates.error.refused"}, **values)
    forget_count(request)
    return see_other(request, "/mandates", "mandates.given", delegate=values["delegate"])


async def _change(request: Request, operation: str, done: str) -> Response:
    form = await request.form()
    result = await run_own(request, operation, id=str(form.get("id", "")))
    forget_count(request)
    if result.errors or not result.data:
        return see_other(request, "/mandates", "mandates.change_failed")
    return see_other(request, "/mandates", done)


@endpoint
async def accept(request: Request) -> Response:
    return await _change(request, "AcceptMandate", "mandates.accepted")


@endpoint
async def end(request: Request) -> Response:
    return await _change(request, "RevokeMandate", "mandates.ended")
