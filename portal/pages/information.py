"""`/information`: my information by category, each naming the agency it comes from."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal.categories import CATEGORIES
from portal.web import endpoint, render, run


@endpoint
async def information(request: Request) -> Response:
    result = await run(request, "Information")
    me = result.me or {}
    groups = [
        {
            "category": category,
            "values": {name: me.get(name) for name in category.fields},
            "refused": next(
                (error for name in category.fields if (error := result.refused("me", name))),
                None,
            ),
        }
        for category in CATEGORIES
    ]
    return await render(
        request, "information.html", groups=groups, missing=result.me is None and result.errors
    )
