"""Mandates: a principal lets a delegate act for them on some themes for a while.

A mandate is PENDING until the delegate accepts, then ACTIVE between `valid_from` and
`valid_until`; the principal may revoke it at any time, which also revokes every token
issued under it. Themes are data categories (`auth.authorization_details.CATEGORIES`).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.authorization_details import CATEGORIES
from auth.tokens import TokenStore

MandateStatus = Literal["PENDING", "ACTIVE", "EXPIRED", "REVOKED"]


class MandateError(Exception):
    """A request about a mandate that cannot be granted: the message says why, plainly."""


class NotYourMandate(MandateError):
    """No such mandate, or not one the caller is party to: a refusal, not a bad input."""


@dataclass(frozen=True)
class Mandate:
    id: str
    principal: str
    delegate: str
    themes: tuple[str, ...]
    valid_from: int
    valid_until: int
    created_at: int
    accepted_at: int | None
    revoked_at: int | None

    def status(self, now: float | None = None) -> MandateStatus:
        now = time.time() if now is None else now
        if self.revoked_at is not None:
            return "REVOKED"
        if now >= self.valid_until:
            return "EXPIRED"
        if self.accepted_at is None:
            return "PENDING"
        return "ACTIVE"

    def effective(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self.status(now) == "ACTIVE" and self.valid_from <= now


def _mandate(row: Row[tuple[object, ...]]) -> Mandate:
    m = row._mapping
    return Mandate(
        id=m["id"],
        principal=m["principal"],
        delegate=m["delegate"],
        themes=tuple(json.loads(m["themes"])),
        valid_from=m["valid_from"],
        valid_until=m["valid_until"],
        created_at=m["created_at"],
        accepted_at=m["accepted_at"],
        revoked_at=m["revoked_at"],
    )


class MandateStore:
    def __init__(self, engine: AsyncEngine, tokens: TokenStore) -> None:
        self.engine = engine
        self.tokens = tokens

    async def grant(
        self,
        principal: str,
        delegate: str,
        themes: list[str],
        valid_until: int,
        valid_from: int | None = None,
        now: float | None = None,
    ) -> Mandate:
        now_s = int(time.time() if now is None else now)
        valid_from = now_s if valid_from is None else valid_from
        if principal == delegate:
            raise MandateError("a person cannot give a mandate to themselves")
        unknown = [t for t in themes if t not in CATEGORIES]
        if not themes or unknown:
            raise MandateError(f"themes must be among {', '.join(CATEGORIES)}")
        if valid_until <= max(valid_from, now_s):
            raise MandateError("a mandate must end after it starts and in the future")
        mandate = Mandate(
            id="mdt-" + secrets.token_urlsafe(12),
            principal=principal,
            delegate=delegate,
            themes=tuple(dict.fromkeys(themes)),
            valid_from=valid_from,
            valid_until=valid_until,
            created_at=now_s,
            accepted_at=None,
            revoked_at=None,
        )
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.mandates.insert().values(
                    id=mandate.id,
                    principal=principal,
                    delegate=delegate,
                    themes=json.dumps(list(mandate.themes)),
                    valid_from=valid_from,
                    valid_until=valid_until,
                    created_at=now_s,
                )
            )
        return mandate

    async def get(self, mandate_id: str) -> Mandate | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(tables.mandates).where(tables.mandates.c.id == mandate_id)
                )
            ).first()
        return _mandate(row) if row else None

    async def involving(self, personal_id: str) -> list[Mandate]:
        """Mandates where the person is the principal or the delegate, newest first."""
        t = tables.mandates
        async with self.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(t)
                    .where(or_(t.c.principal == personal_id, t.c.delegate == personal_id))
                    .order_by(t.c.created_at.desc(), t.c.id)
                )
            ).all()
        return [_mandate(r) for r in rows]

    async def accept(self, mandate_id: str, delegate: str, now: float | None = None) -> Mandate:
        now_s = int(time.time() if now is None else now)
        mandate = await self.get(mandate_id)
        if mandate is None or mandate.delegate != delegate:
            raise NotYourMandate("no such mandate for you to accept")
        if mandate.status(now_s) != "PENDING":
            raise MandateError(f"the mandate is {mandate.status(now_s).lower()}")
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.mandates.update()
                .where(tables.mandates.c.id == mandate_id, tables.mandates.c.accepted_at.is_(None))
                .values(accepted_at=now_s)
            )
        accepted = await self.get(mandate_id)
        assert accepted is not None
        return accepted

    async def revoke(self, mandate_id: str, principal: str, now: float | None = None) -> Mandate:
        """The principal ends the mandate; the delegate may also give it back."""
        now_s = int(time.time() if now is None else now)
        mandate = await self.get(mandate_id)
        if mandate is None or principal not in (mandate.principal, mandate.delegate):
            raise NotYourMandate("no such mandate for you to revoke")
        if mandate.revoked_at is None:
            async with self.engine.begin() as connection:
                await connection.execute(
                    tables.mandates.update()
                    .where(tables.mandates.c.id == mandate_id)
                    .values(revoked_at=now_s)
                )
            await self.tokens.revoke_grant("mandate", mandate_id, now_s)
        revoked = await self.get(mandate_id)
        assert revoked is not None
        return revoked

    async def effective_for(
        self, principal: str, delegate: str, now: float | None = None
    ) -> list[Mandate]:
        now = time.time() if now is None else now
        t = tables.mandates
        async with self.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(t).where(
                        t.c.principal == principal,
                        t.c.delegate == delegate,
                        t.c.revoked_at.is_(None),
                        t.c.accepted_at.is_not(None),
                    )
                )
            ).all()
        return [m for m in map(_mandate, rows) if m.effective(now)]
