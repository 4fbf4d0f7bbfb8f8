"""Consent records: what a citizen let a platform see, why, and until when.

Each record carries consent-receipt fields (id, principal, platform, purposes, categories,
created, expires, status) and a receipt: the same facts as a JWT signed by the server
(`typ: consent-receipt+jwt`), which the citizen or an auditor can verify against the JWKS.
Status is ACTIVE until `expires_at` (then EXPIRED) unless revoked (REVOKED).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.authorization_details import CitizenDataDetail, requested_categories
from auth.clients import Client
from auth.keys import KeyStore
from auth.tokens import TokenStore

ConsentStatus = Literal["ACTIVE", "REVOKED", "EXPIRED"]
RECEIPT_TYP = "consent-receipt+jwt"
DEFAULT_RECURRING_DAYS = 90


class ConsentError(Exception):
    pass


class NotYourConsent(ConsentError):
    """No such consent, or someone else's: a refusal, not a bad input."""


@dataclass(frozen=True)
class Consent:
    id: str
    principal: str
    client_id: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    authorization_details: tuple[dict[str, Any], ...]
    recurrence: Literal["one_time", "recurring"]
    created_at: int
    expires_at: int
    revoked_at: int | None
    receipt: str

    def status(self, now: float | None = None) -> ConsentStatus:
        now = time.time() if now is None else now
        if self.revoked_at is not None:
            return "REVOKED"
        if now >= self.expires_at:
            return "EXPIRED"
        return "ACTIVE"

    def scopes(self) -> list[str]:
        return [f"{c}:read" for c in self.categories]


def _consent(row: Row[tuple[object, ...]]) -> Consent:
    m = row._mapping
    return Consent(
        id=m["id"],
        principal=m["principal"],
        client_id=m["client_id"],
        purposes=tuple(json.loads(m["purposes"])),
        categories=tuple(json.loads(m["categories"])),
        authorization_details=tuple(json.loads(m["authorization_details"])),
        recurrence=m["recurrence"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        receipt=m["receipt"],
    )


def consent_expiry(
    details: list[CitizenDataDetail], now: int, one_time_seconds: int, max_days: int
) -> tuple[int, Literal["one_time", "recurring"]]:
    """One-time access lasts one access token; recurring access lasts until the earliest
    requested end, by default 90 days, never more than `max_days`."""
    if any(d.recurrence == "one_time" for d in details):
        return now + one_time_seconds, "one_time"
    ends = [d.expires_at for d in details if d.expires_at is not None]
    end = min(ends) if ends else now + DEFAULT_RECURRING_DAYS * 86400
    return min(end, now + max_days * 86400), "recurring"


class ConsentStore:
    def __init__(
        self,
        engine: AsyncEngine,
        keys: KeyStore,
        tokens: TokenStore,
        issuer: str,
        one_time_seconds: int,
        max_days: int,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.tokens = tokens
        self.issuer = issuer
        self.one_time_seconds = one_time_seconds
        self.max_days = max_days

    async def grant(
        self,
        principal: str,
        client: Client,
        approved: list[CitizenDataDetail],
        now: float | None = None,
        receipt_subject: str | None = None,
    ) -> Consent:
        """`receipt_subject`: the citizen as the platform knows them (its pairwise subject);
        default the principal."""
        if not approved:
            raise ConsentError("nothing was approved")
        now_s = int(time.time() if now is None else now)
        expires_at, recurrence = consent_expiry(
            approved, now_s, self.one_time_seconds, self.max_days
        )
        consent_id = "cns-" + secrets.token_urlsafe(16)
        categories = requested_categories(approved)
        purposes = list(dict.fromkeys(d.purpose for d in approved))
        details = [d.as_json() for d in approved]
        receipt = self.keys.sign(
            {
                "iss": self.issuer,
                "jti": consent_id,
                "sub": receipt_subject or principal,
                "iat": now_s,
                "exp": expires_at,
                "client_id": client.client_id,
                "controller": client.client_name,
                "purposes": purposes,
                "categories": categories,
                "recurrence": recurrence,
                "authorization_details": details,
            },
            typ=RECEIPT_TYP,
        )
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.consents.insert().values(
                    id=consent_id,
                    principal=principal,
                    client_id=client.client_id,
                    purposes=json.dumps(purposes),
                    categories=json.dumps(categories),
                    authorization_details=json.dumps(details),
                    recurrence=recurrence,
                    created_at=now_s,
                    expires_at=expires_at,
                    receipt=receipt,
                )
            )
        consent = await self.get(consent_id)
        assert consent is not None
        return consent

    async def get(self, consent_id: str) -> Consent | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(tables.consents).where(tables.consents.c.id == consent_id)
                )
            ).first()
        return _consent(row) if row else None

    async def of_principal(self, principal: str) -> list[Consent]:
        t = tables.consents
        async with self.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(t)
                    .where(t.c.principal == principal)
                    .order_by(t.c.created_at.desc(), t.c.id)
                )
            ).all()
        return [_consent(r) for r in rows]

    async def revoke(self, consent_id: str, principal: str, now: float | None = None) -> Consent:
        """The citizen withdraws consent: every token issued under it stops working."""
        now_s = int(time.time() if now is None else now)
        consent = await self.get(consent_id)
        if consent is None or consent.principal != principal:
            raise NotYourConsent("no such consent of yours")
        if consent.revoked_at is None:
            async with self.engine.begin() as connection:
                await connection.execute(
                    tables.consents.update()
                    .where(tables.consents.c.id == consent_id)
                    .values(revoked_at=now_s)
                )
            await self.tokens.revoke_grant("consent", consent_id, now_s)
        revoked = await self.get(consent_id)
        assert revoked is not None
        return revoked

    def verify_receipt(self, receipt: str) -> dict[str, Any]:
        """The receipt's claims if the server signed it (with any key it ever had)."""
        decoded = self.keys.verify(receipt, published_only=False)
        if decoded.header.get("typ") != RECEIPT_TYP:
            raise ConsentError("not a consent receipt")
        return dict(decoded.claims)
