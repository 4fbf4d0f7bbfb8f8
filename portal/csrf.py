"""Cross-site request forgery: every form carries the session's random token, and every POST
is refused unless it sends that token back (compared in constant time)."""

from __future__ import annotations

import hmac
import secrets

from portal.sessions import Session

FIELD = "csrf_token"


def token_of(session: Session) -> str:
    """The session's token, made the first time a form needs it."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session.set("csrf", token)
    return token


def check(session: Session, submitted: object) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
