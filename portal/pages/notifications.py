"""`/notifications`: what needs the citizen's attention, derived (portal/notices.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal.web import endpoint, notices, remember_count, render


@endpoint
async def notifications(request: Request) -> Response:
    result, items = await notices(request)
    remember_count(request, items)
    return await render(
        request,
        "notifications.html",
        items=items,
        partial=bool(result.errors),
        missing=result.me is None,
    )
