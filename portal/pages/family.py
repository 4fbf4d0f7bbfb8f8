"""`/family`: spouse, parents and children; the children in the citizen's care, with "Act for"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal.web import endpoint, render, run


@endpoint
async def family(request: Request) -> Response:
    result = await run(request, "Family")
    me = result.me or {}
    return await render(
        request,
        "family.html",
        family=me.get("family") or {},
        wards=me.get("guardianOf") or [],
        refused=result.refused("me", "family") or result.refused("me", "guardianOf"),
        missing=result.me is None and result.errors,
    )
