"""Security headers on every response: a strict CSP (no script at all), no framing, no
referrer (the callback's URL carries a code), no MIME sniffing."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(issuer: str) -> str:
    # The share form's POST is answered with a redirect to the issuer, and browsers check
    # form-action against every redirect that follows a submission.
    parts = urlsplit(issuer)
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {parts.scheme}://{parts.netloc}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, issuer: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(issuer).encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
