"""Browser sessions at the authorization server, and authorization requests waiting for the
citizen's decision. Only hashes of the cookie value are stored."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.tokens import hash_token

COOKIE = "auth_session"
PENDING_TTL = 900


@dataclass(frozen=True)
class Authentication:
    """Who signed in, how (RFC 8176 `amr`, an `acr` level) and when."""

    personal_id: str
    acr: str
    amr: tuple[str, ...]
    auth_time: int


class SessionStore:
    def __init__(self, engine: AsyncEngine, ttl: int) -> None:
        self.engine = engine
        self.ttl = ttl

    async def create(self, authentication: Authentication) -> str:
        value = secrets.token_urlsafe(32)
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.sessions.insert().values(
                    id_hash=hash_token(value),
                    personal_id=authentication.personal_id,
                    acr=authentication.acr,
                    amr=json.dumps(list(authentication.amr)),
                    auth_time=authentication.auth_time,
                    expires_at=int(time.time()) + self.ttl,
                )
            )
        return value

    async def get(self, value: str | None) -> Authentication | None:
        if not value:
            return None
        t = tables.sessions
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(t).where(t.c.id_hash == hash_token(value), t.c.expires_at > time.time())
                )
            ).first()
        if row is None:
            return None
        return Authentication(row.personal_id, row.acr, tuple(json.loads(row.amr)), row.auth_time)

    async def delete(self, value: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.sessions.delete().where(tables.sessions.c.id_hash == hash_token(value))
            )

    async def hold_request(self, session: str, params: list[tuple[str, str]]) -> str:
        """Keep an authorization request until the citizen decides; the id returned goes into
        the consent form and only works with the same session (so it also stops CSRF)."""
        request_id = secrets.token_urlsafe(24)
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.pending_authorizations.insert().values(
                    id=request_id,
                    session_hash=hash_token(session),
                    params=json.dumps(params),
                    expires_at=int(time.time()) + PENDING_TTL,
                )
            )
        return request_id

    async def take_request(self, session: str, request_id: str) -> list[tuple[str, str]] | None:
        """The held request, removed so a decision is made once."""
        t = tables.pending_authorizations
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    select(t).where(
                        t.c.id == request_id,
                        t.c.session_hash == hash_token(session),
                        t.c.expires_at > time.time(),
                    )
                )
            ).first()
            if row is None:
                return None
            await connection.execute(t.delete().where(t.c.id == request_id))
        return [(str(k), str(v)) for k, v in json.loads(row.params)]
