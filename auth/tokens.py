"""Issued tokens: one row per token response (the access token's `jti`, and the hash of its
refresh token if any), what they were issued under, and how they are revoked and checked."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.keys import KeyStore
from auth.revocation import RevocationPublisher
from gateway.token_encryption import is_encrypted

ACCESS_TOKEN_TYP = "at+jwt"
# Tolerated difference between this server's clock and an issuer's, for `nbf` only.
_CLOCK_SKEW_SECONDS = 30


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Grantee:
    """Whom a token speaks for and on what authority; authlib passes it around as `user`."""

    personal_id: str
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    consent_id: str | None = None
    mandate_id: str | None = None
    actor: str | None = None
    delegation: Literal["mandate", "guardianship"] | None = None
    authorization_details: tuple[dict[str, Any], ...] = ()
    # No token for this grantee may outlive this (consent end, mandate end, 18th birthday).
    not_after: int | None = None
    # The authorization code a family of refresh tokens descends from.
    code_hash: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def get_user_id(self) -> str:
        return self.personal_id


@dataclass(frozen=True)
class TokenRecord:
    jti: str
    client_id: str
    personal_id: str
    actor: str | None
    scope: str
    consent_id: str | None
    mandate_id: str | None
    code_hash: str | None
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    issued_at: int
    expires_at: int
    refresh_expires_at: int | None
    revoked_at: int | None
    rotated_at: int | None
    is_refresh: bool = False  # how it was found: by its refresh token or its access token
    dpop_jkt: str | None = None  # the DPoP key the tokens are bound to

    # authlib's TokenMixin, by duck typing
    def check_client(self, client: Any) -> bool:
        return bool(self.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_at - self.issued_at

    def is_expired(self) -> bool:
        end = self.refresh_expires_at if self.is_refresh else self.expires_at
        return end is None or end <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or (self.is_refresh and self.rotated_at is not None)

    def grantee(self) -> Grantee:
        return Grantee(
            personal_id=self.personal_id,
            acr=self.acr,
            amr=self.amr,
            auth_time=self.auth_time,
            consent_id=self.consent_id,
            mandate_id=self.mandate_id,
            actor=self.actor,
            code_hash=self.code_hash,
            not_after=self.refresh_expires_at,
        )

    def claims(self) -> dict[str, Any]:
        """What the row says of an access token this server cannot read (a sealed one)."""
        claims: dict[str, Any] = {
            "sub": self.personal_id,
            "client_id": self.client_id,
            "scope": self.scope,
            "jti": self.jti,
            "iat": self.issued_at,
            "exp": self.expires_at,
        }
        if self.actor:
            claims["act"] = {"sub": self.actor}
        if self.dpop_jkt:
            claims["cnf"] = {"jkt": self.dpop_jkt}
        return claims


def _record(row: Row[tuple[object, ...]], is_refresh: bool) -> TokenRecord:
    m = row._mapping
    return TokenRecord(
        jti=m["jti"],
        client_id=m["client_id"],
        personal_id=m["personal_id"],
        actor=m["actor"],
        scope=m["scope"],
        consent_id=m["consent_id"],
        mandate_id=m["mandate_id"],
        code_hash=m["code_hash"],
        acr=m["acr"],
        amr=tuple(json.loads(m["amr"])),
        auth_time=m["auth_time"],
        issued_at=m["issued_at"],
        expires_at=m["expires_at"],
        refresh_expires_at=m["refresh_expires_at"],
        revoked_at=m["revoked_at"],
        rotated_at=m["rotated_at"],
        is_refresh=is_refresh,
        dpop_jkt=m["dpop_jkt"],
    )


class TokenStore:
    def __init__(
        self, engine: AsyncEngine, publisher: RevocationPublisher, access_token_ttl: int
    ) -> None:
        self.engine = engine
        self.publisher = publisher
        self.access_token_ttl = access_token_ttl

    async def save(
        self,
        *,
        jti: str,
        client_id: str,
        grantee: Grantee,
        scope: str,
        issued_at: int,
        expires_at: int,
        refresh_token: str | None,
        refresh_expires_at: int | None,
        dpop_jkt: str | None = None,
        sealed_access_token: str | None = None,
    ) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.tokens.insert().values(
                    jti=jti,
                    client_id=client_id,
                    personal_id=grantee.personal_id,
                    actor=grantee.actor,
                    scope=scope,
                    consent_id=grantee.consent_id,
                    mandate_id=grantee.mandate_id,
                    code_hash=grantee.code_hash,
                    refresh_token_hash=hash_token(refresh_token) if refresh_token else None,
                    acr=grantee.acr,
                    amr=json.dumps(list(grantee.amr)),
                    auth_time=grantee.auth_time,
                    issued_at=issued_at,
                    expires_at=expires_at,
                    refresh_expires_at=refresh_expires_at if refresh_token else None,
                    dpop_jkt=dpop_jkt,
                    access_token_hash=(
                        hash_token(sealed_access_token) if sealed_access_token else None
                    ),
                )
            )

    async def by_jti(self, jti: str) -> TokenRecord | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(select(tables.tokens).where(tables.tokens.c.jti == jti))
            ).first()
        return _record(row, False) if row else None

    async def by_sealed_access_token(self, token: str) -> TokenRecord | None:
        t = tables.tokens
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(t).where(t.c.access_token_hash == hash_token(token))
                )
            ).first()
        return _record(row, False) if row else None

    async def by_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        t = tables.tokens
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(t).where(t.c.refresh_token_hash == hash_token(refresh_token))
                )
            ).first()
        return _record(row, True) if row else None

    async def mark_rotated(self, record: TokenRecord, now: int | None = None) -> bool:
        """Retire a refresh token once; False when it had already been used."""
        t = tables.tokens
        async with self.engine.begin() as connection:
            result = await connection.execute(
                t.update()
                .where(t.c.jti == record.jti, t.c.rotated_at.is_(None))
                .values(rotated_at=int(time.time()) if now is None else now)
            )
        return bool(result.rowcount == 1)

    async def revoke(self, record: TokenRecord, now: int | None = None) -> None:
        """RFC 7009: revoking either token of a response revokes both."""
        now = int(time.time()) if now is None else now
        t = tables.tokens
        async with self.engine.begin() as connection:
            await connection.execute(
                t.update()
                .where(t.c.jti == record.jti, t.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        if record.expires_at > now:
            await self.publisher.publish([(f"jti:{record.jti}", record.expires_at)])

    async def revoke_grant(
        self, kind: Literal["consent", "mandate", "code"], grant_id: str, now: int | None = None
    ) -> int:
        """Revoke every token issued under a consent, a mandate or an authorization code;
        publish the revocation so gateways refuse them on the next request."""
        now = int(time.time()) if now is None else now
        t = tables.tokens
        column = {"consent": t.c.consent_id, "mandate": t.c.mandate_id, "code": t.c.code_hash}[kind]
        async with self.engine.begin() as connection:
            live = (
                await connection.execute(
                    select(t.c.jti, t.c.expires_at).where(
                        column == grant_id, t.c.revoked_at.is_(None)
                    )
                )
            ).all()
            await connection.execute(
                t.update()
                .where(column == grant_id, t.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        entries = [(f"jti:{row.jti}", row.expires_at) for row in live if row.expires_at > now]
        if kind != "code":
            entries.append((f"{kind}:{grant_id}", now + self.access_token_ttl))
        await self.publisher.publish(entries)
        return len(live)


class InvalidAccessToken(Exception):
    pass


class AccessTokenVerifier:
    """Checks one of our RFC 9068 access tokens fully: signature, claims, and that it was
    not revoked (directly or through its consent or mandate)."""

    def __init__(self, keys: KeyStore, issuer: str, audience: str, tokens: TokenStore) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.tokens = tokens

    def decode(self, token: str) -> dict[str, Any]:
        """Signature and claims only; no database."""
        try:
            decoded = self.keys.verify(token)
        except (JoseError, ValueError) as error:
            raise InvalidAccessToken(f"bad signature or format: {error}") from None
        if decoded.header.get("typ") != ACCESS_TOKEN_TYP:
            raise InvalidAccessToken("not an access token")
        claims = dict(decoded.claims)
        if claims.get("iss") != self.issuer:
            raise InvalidAccessToken("wrong issuer")
        aud = claims.get("aud")
        if self.audience not in (aud if isinstance(aud, list) else [aud]):
            raise InvalidAccessToken("wrong audience")
        now = time.time()
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            raise InvalidAccessToken("expired")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int) or nbf > now + _CLOCK_SKEW_SECONDS):
            raise InvalidAccessToken("not valid yet")
        return claims

    async def verify(self, token: str) -> tuple[dict[str, Any], TokenRecord]:
        if is_encrypted(token):
            sealed = await self.tokens.by_sealed_access_token(token)
            if sealed is None or sealed.revoked_at is not None:
                raise InvalidAccessToken("unknown or revoked")
            if sealed.expires_at <= time.time():
                raise InvalidAccessToken("expired")
            return sealed.claims(), sealed
        claims = self.decode(token)
        record = await self.tokens.by_jti(str(claims.get("jti")))
        if record is None or record.revoked_at is not None:
            raise InvalidAccessToken("revoked")
        return claims, record
