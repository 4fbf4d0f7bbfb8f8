"""Authorization codes: stored hashed, short-lived, consumed atomically exactly once."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.tokens import hash_token


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    personal_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    consent_id: str | None
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    dpop_jkt: str | None = None

    # authlib's AuthorizationCodeMixin (and the OIDC additions), by duck typing
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr)


ConsumeResult = Literal["ok", "reused", "unknown"]


class CodeStore:
    def __init__(self, engine: AsyncEngine, ttl: int) -> None:
        self.engine = engine
        self.ttl = ttl

    async def save(self, code: str, record: AuthorizationCode) -> None:
        now = int(time.time())
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.authorization_codes.insert().values(
                    code_hash=hash_token(code),
                    client_id=record.client_id,
                    personal_id=record.personal_id,
                    redirect_uri=record.redirect_uri,
                    scope=record.scope,
                    nonce=record.nonce,
                    code_challenge=record.code_challenge,
                    code_challenge_method=record.code_challenge_method,
                    consent_id=record.consent_id,
                    acr=record.acr,
                    amr=json.dumps(list(record.amr)),
                    auth_time=record.auth_time,
                    dpop_jkt=record.dpop_jkt,
                    created_at=now,
                    expires_at=now + self.ttl,
                )
            )

    async def consume(
        self, code: str, client_id: str
    ) -> tuple[ConsumeResult, AuthorizationCode | None]:
        """Mark the code used and return it; a second use reports "reused"."""
        t = tables.authorization_codes
        code_hash = hash_token(code)
        now = int(time.time())
        async with self.engine.begin() as connection:
            result = await connection.execute(
                t.update()
                .where(
                    t.c.code_hash == code_hash,
                    t.c.client_id == client_id,
                    t.c.used_at.is_(None),
                    t.c.expires_at > now,
                )
                .values(used_at=now)
            )
            row = (await connection.execute(select(t).where(t.c.code_hash == code_hash))).first()
        if row is None or row.client_id != client_id:
            return "unknown", None
        if result.rowcount != 1:
            return ("reused" if row.used_at is not None else "unknown"), None
        return "ok", AuthorizationCode(
            code_hash=row.code_hash,
            client_id=row.client_id,
            personal_id=row.personal_id,
            redirect_uri=row.redirect_uri,
            scope=row.scope,
            nonce=row.nonce,
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            consent_id=row.consent_id,
            acr=row.acr,
            amr=tuple(json.loads(row.amr)),
            auth_time=row.auth_time,
            dpop_jkt=row.dpop_jkt,
        )

    async def nonce_used(self, client_id: str, nonce: str) -> bool:
        t = tables.authorization_codes
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                select(t.c.code_hash).where(t.c.client_id == client_id, t.c.nonce == nonce).limit(1)
            )
        return found is not None
