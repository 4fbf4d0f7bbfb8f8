"""What pages on other origins may do with the gateway: CSRF prevention and CORS.

A browser sends some cross-site requests without asking first: a "simple" POST (a form's
Content-Type, or none) reaches the server and runs before the browser withholds the answer
from the page. Such a POST is refused before anything runs; every other request makes the
browser send a CORS preflight first, which only the configured origins pass.

    POST, a Content-Type no form sends (application/json, ...)  ─▶ on (JSON only, else 415)
    POST, a form's Content-Type or none, a preflight header     ─▶ on (and so 415)
    POST, a form's Content-Type or none, no preflight header    ─▶ 400 CSRF_PREVENTED
    GET                                                         ─▶ on (queries only, else 405)
    OPTIONS (a preflight) from a configured origin              ─▶ allowed; others get none
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway.settings import GatewaySettings

# The Content-Types a page may POST cross-site without a preflight (Fetch standard,
# "CORS-safelisted request-header"), and no Content-Type at all.
_SIMPLE_CONTENT_TYPES = frozenset(
    {"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Non-empty, any of these makes a browser ask first: Apollo clients send them.
PREFLIGHT_HEADERS = ("graphql-preflight", "apollo-require-preflight", "x-apollo-operation-name")
CSRF_MESSAGE = (
    "This request could have been sent by another site's page without the browser asking "
    "first, so it is refused: send Content-Type: application/json, or a non-empty "
    "graphql-preflight header."
)
# What a page may send: the body's type, the caller's token (and its DPoP proof), the
# preflight headers and trace context. Headers the gateway passes on to subgraphs are added.
_ALLOWED_HEADERS = (
    "content-type",
    "authorization",
    "dpop",
    *PREFLIGHT_HEADERS,
    "traceparent",
    "tracestate",
)
# Seconds a browser may remember a preflight's answer (browsers cap it: Chromium at 2 hours).
_PREFLIGHT_MAX_AGE = 600


def preflighted(headers: Mapping[str, str]) -> bool:
    """Whether a browser would have asked (a CORS preflight) before sending this request."""
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in _SIMPLE_CONTENT_TYPES:
        return True
    return any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)


def cors_middleware(settings: GatewaySettings) -> list[Middleware]:
    """CORS for the configured origins; none configured, no middleware and no CORS header at
    all, so no page on another origin can read an answer."""
    if not settings.cors_origins:
        return []
    allowed = dict.fromkeys((*_ALLOWED_HEADERS, *settings.propagate_headers))
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=("GET", "POST"),
            allow_headers=tuple(allowed),
            allow_credentials=settings.cors_allow_credentials,
            # A browser DPoP client retries with the nonce a refusal names (RFC 9449 §8).
            expose_headers=("dpop-nonce", "www-authenticate"),
            max_age=_PREFLIGHT_MAX_AGE,
        )
    ]


__all__ = ["CSRF_MESSAGE", "PREFLIGHT_HEADERS", "cors_middleware", "preflighted"]
