"""Security headers on every response: a strict Content-Security-Policy (no inline script,
forms only to the portal and the issuer, no framing), no MIME sniffing, no Referer leaving."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def policy(issuer: str) -> str:
    parts = urlsplit(issuer)
    # Sign-out is a form POST answered by a redirect to the issuer's end-session endpoint;
    # browsers hold such redirects to form-action too.
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {parts.scheme}://{parts.netloc}; frame-ancestors 'none'; "
        "base-uri 'none'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, issuer: str) -> None:
        self.app = app
        self.headers = {
            "content-security-policy": policy(issuer),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "x-frame-options": "DENY",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if not scope["path"].startswith("/static/"):
                    # Pages hold personal data: no cache (nor a shared computer's back
                    # button) may keep them.
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
