"""`/`: the start page when signed out; the overview around life events when signed in."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from portal.web import endpoint, render, run, signed_in

# Notices the start page may show after a redirect (the query names one; nothing else shows).
NOTICES = {"expired": "notice.expired", "signedout": "notice.signedout"}
# The order steps are shown in within a life event: what needs the citizen first.
STATUS_ORDER = ("ACTION_NEEDED", "IN_PROGRESS", "ELIGIBLE", "DONE_AUTOMATICALLY", "NOT_ELIGIBLE")


@endpoint
async def home(request: Request) -> Response:
    if not signed_in(request):
        notice = NOTICES.get(request.query_params.get("notice", ""))
        return await render(request, "start.html", notice=notice)
    result = await run(request, "Overview")
    me = result.me or {}
    events = [_event(event) for event in me.get("lifeEvents") or []]
    due = sorted(
        (step for event in events for step in event["steps"] if step["status"] == "ACTION_NEEDED"),
        key=lambda step: step.get("dueBy") or "9999",
    )
    return await render(
        request,
        "overview.html",
        me=me,
        events=events,
        due=due,
        refused=result.refused("me", "lifeEvents") or (None if result.me else result.refused("me")),
        today=date.today().isoformat(),
    )


def _event(event: dict[str, Any]) -> dict[str, Any]:
    steps = [
        {**step, "event": event.get("kind")}
        for step in sorted(
            event.get("journey") or [],
            key=lambda s: STATUS_ORDER.index(s["status"]) if s["status"] in STATUS_ORDER else 9,
        )
    ]
    return {**event, "steps": steps}
