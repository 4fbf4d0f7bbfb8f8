"""`/information`: my information by category, each naming the agency it comes from."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from portal.categories import CATEGORIES
from portal.web import endpoint, reading_token, render, run


@endpoint
async def information(request: Request) -> Response:
    # A fresh token first, so the concurrent reads below do not each refresh it (a refresh
    # token works once).
    await reading_token(request)
    results = await asyncio.gather(*(run(request, c.document) for c in CATEGORIES))
    groups = [
        {
            "category": category,
            "values": result.me or {},
            "refused": result.refused("me") if result.me is None or result.errors else None,
        }
        for category, result in zip(CATEGORIES, results, strict=True)
    ]
    return await render(request, "information.html", groups=groups)
