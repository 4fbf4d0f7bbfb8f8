"""CSRF tokens: one per session, made when a form needs it, checked exactly."""

from __future__ import annotations

from portal import csrf
from portal.sessions import Session


def test_the_token_is_made_once_per_session_and_checks() -> None:
    session = Session("id")
    token = csrf.token_of(session)
    assert len(token) >= 32 and session.changed
    assert csrf.token_of(session) == token
    assert csrf.check(session, token)


def test_anything_else_is_refused() -> None:
    session = Session("id")
    token = csrf.token_of(session)
    for wrong in ("", None, token[:-1], token + "x", csrf.token_of(Session("other")), ["x"]):
        assert not csrf.check(session, wrong)
    # A session that never rendered a form has no token: nothing matches it.
    assert not csrf.check(Session("fresh"), token)
