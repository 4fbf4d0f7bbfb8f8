"""Load shedding: past `max_in_flight_requests` GraphQL requests at once, refuse at the door.

A plain ASGI middleware in front of the app. A request over the limit is answered 503 with
`Retry-After` and code SERVICE_OVERLOADED before its body is read or parsed, so an overload
costs the gateway almost nothing and queues do not grow until every caller times out. Only
the GraphQL endpoint counts and is shed: /health must keep answering, or an orchestrator
would restart a gateway that is merely busy.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import SERVICE_OVERLOADED

SHED_PATH = "/graphql"
_BODY = orjson.dumps(
    {
        "errors": [
            {
                "message": "The gateway is serving as many requests as it can; try again shortly.",
                "extensions": {"code": SERVICE_OVERLOADED},
            }
        ]
    }
)


class LoadShedding:
    def __init__(self, app: ASGIApp, *, max_in_flight: int, retry_after: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_BODY)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SHED_PATH:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await send({"type": "http.response.start", "status": 503, "headers": self.headers})
            await send({"type": "http.response.body", "body": _BODY})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
