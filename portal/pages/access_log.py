"""`/access-log`: who saw the citizen's data, when and why; filters by platform and dates (a
GET form), a page at a time."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from portal.web import endpoint, portal_of, render, run, utc_range

PAGE_SIZE = 20


@endpoint
async def access_log(request: Request) -> Response:
    query = request.query_params
    platform = query.get("platform", "").strip()
    day_from, day_to = query.get("from", "").strip(), query.get("to", "").strip()
    after = query.get("after") or None
    since, until = utc_range(day_from, day_to, portal_of(request).settings.timezone)
    errors = {}
    if day_from and since is None:
        errors["from"] = "log.error.date"
    if day_to and until is None:
        errors["to"] = "log.error.date"
    result = await run(
        request,
        "AccessLog",
        first=PAGE_SIZE,
        after=after,
        platform=platform or None,
        **{"from": since, "to": until},
    )
    log = (result.me or {}).get("dataAccessLog") or {}
    choices = await run(request, "AccessLogPlatforms")
    platforms = {
        edge["node"]["platform"]["clientId"]: edge["node"]["platform"]["name"]
        for edge in ((choices.me or {}).get("dataAccessLog") or {}).get("edges") or []
    }
    if platform and platform not in platforms:
        platforms[platform] = platform
    filters = {"platform": platform, "from": day_from, "to": day_to}
    kept = {k: v for k, v in filters.items() if v}
    page_info = log.get("pageInfo") or {}
    next_page = (
        "/access-log?" + urlencode({**kept, "after": page_info["endCursor"]})
        if page_info.get("hasNextPage") and page_info.get("endCursor")
        else None
    )
    first_page = ("/access-log?" + urlencode(kept)) if after else None
    return await render(
        request,
        "access_log.html",
        entries=[edge["node"] for edge in log.get("edges") or []],
        total=log.get("totalCount"),
        platforms=sorted(platforms.items(), key=lambda item: item[1].lower()),
        filters=filters,
        errors=errors,
        next_page=next_page,
        first_page=first_page,
        refused=result.refused("me", "dataAccessLog")
        or (None if result.me else result.refused("me")),
    )
