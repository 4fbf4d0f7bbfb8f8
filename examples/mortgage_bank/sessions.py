"""The bank's server-side sessions: the browser holds only an opaque id in a cookie; tokens,
figures and the sign-in in progress stay here, in memory (a restart signs everyone out)."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from examples.mortgage_bank.figures import Figures
from examples.mortgage_bank.oauth import Pending, Tokens

COOKIE = "mortgage_bank_session"
IDLE_SECONDS = 8 * 3600

# Why the bank could not read the figures; each has its plain message on the page.
Problem = Literal["withdrawn", "expired", "unavailable"]


@dataclass
class BankSession:
    id: str
    csrf: str
    last_seen: float
    pending: Pending | None = None
    tokens: Tokens | None = None
    figures: Figures | None = None
    problem: Problem | None = None
    # One token request at a time: two refreshes with the same refresh token would look
    # like a stolen token to the server, which then revokes the whole grant.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def csrf_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf.encode())

    def forget_access(self, problem: Problem | None) -> None:
        self.tokens = None
        self.figures = None
        self.problem = problem


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, BankSession] = {}

    def get(self, session_id: str | None) -> BankSession | None:
        now = time.time()
        session = self._sessions.get(session_id or "")
        if session is None or now - session.last_seen >= IDLE_SECONDS:
            return None
        session.last_seen = now
        return session

    def new(self) -> BankSession:
        now = time.time()
        # Idle sessions go when new ones come, so the store stays as large as its use.
        self._sessions = {
            k: s for k, s in self._sessions.items() if now - s.last_seen < IDLE_SECONDS
        }
        session = BankSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now)
        self._sessions[session.id] = session
        return session
