"""Consents, mandates, tokens and the access log on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.access_log import AccessLog
from auth.authorization_details import CitizenDataDetail
from auth.clients import Client, ClientMetadata
from auth.consents import ConsentStore
from auth.keys import KeyStore
from auth.mandates import MandateError, MandateStore
from auth.migrations import MIGRATIONS
from auth.revocation import RevocationPublisher, revocations_since
from auth.tokens import Grantee, TokenStore

BANK = Client(
    "bank",
    None,
    ClientMetadata(
        client_name="Example Bank",
        redirect_uris=["https://bank.example/cb"],
        purpose="Mortgage",
        data_categories=["income", "identity"],
    ),
)


def stores(engine: AsyncEngine, tmp_path: Path) -> tuple[KeyStore, TokenStore, ConsentStore]:
    keys = KeyStore(tmp_path / "keys", 600, 86400)
    keys.load()
    tokens = TokenStore(engine, RevocationPublisher(engine), 600)
    consents = ConsentStore(engine, keys, tokens, "https://auth.example", 900, 365)
    return keys, tokens, consents


async def test_migrations_are_recorded_once(engine: AsyncEngine) -> None:
    from auth.migrations import migrate

    async with engine.begin() as connection:
        assert await connection.run_sync(migrate) == []
        versions = (await connection.execute(select(tables.schema_migrations.c.version))).all()
    assert [v[0] for v in versions] == [m[0] for m in MIGRATIONS]


async def test_consent_lifecycle_and_signed_receipt(engine: AsyncEngine, tmp_path: Path) -> None:
    keys, tokens, consents = stores(engine, tmp_path)
    detail = CitizenDataDetail(("income",), ("read",), "Mortgage", None, "recurring")
    consent = await consents.grant("010180-111A", BANK, [detail])
    assert consent.status() == "ACTIVE" and consent.scopes() == ["income:read"]
    receipt = consents.verify_receipt(consent.receipt)
    assert receipt["jti"] == consent.id and receipt["purposes"] == ["Mortgage"]
    assert consent.status(now=consent.expires_at) == "EXPIRED"

    grantee = Grantee("010180-111A", "acr", ("test",), 0, consent_id=consent.id)
    now = int(time.time())
    await tokens.save(
        jti="j1",
        client_id="bank",
        grantee=grantee,
        scope="income:read",
        issued_at=now,
        expires_at=now + 600,
        refresh_token="r1",
        refresh_expires_at=now + 3600,
    )
    keys.rotate()  # receipts stay verifiable after rotation
    revoked = await consents.revoke(consent.id, "010180-111A")
    assert revoked.status() == "REVOKED"
    assert consents.verify_receipt(revoked.receipt)["jti"] == consent.id
    record = await tokens.by_refresh_token("r1")
    assert record is not None and record.is_revoked()

    published = {row["key"] for row in await revocations_since(engine, 0)}
    assert f"consent:{consent.id}" in published
    assert "jti:j1" in published
    assert not any(key.endswith("cns-other") or key == "jti:j2" for key in published)


async def test_mandate_rules(engine: AsyncEngine, tmp_path: Path) -> None:
    _, tokens, _ = stores(engine, tmp_path)
    mandates = MandateStore(engine, tokens)
    now = time.time()
    mandate = await mandates.grant("P", "D", ["tax"], valid_until=int(now + 3600))
    assert mandate.status() == "PENDING" and await mandates.effective_for("P", "D") == []
    try:
        await mandates.accept(mandate.id, "someone-else")
        raise AssertionError("only the delegate accepts")
    except MandateError:
        pass
    await mandates.accept(mandate.id, "D")
    assert [m.id for m in await mandates.effective_for("P", "D")] == [mandate.id]
    assert await mandates.effective_for("P", "D", now=now + 7200) == []
    await mandates.revoke(mandate.id, "P")
    assert await mandates.effective_for("P", "D") == []
    for bad in (
        lambda: mandates.grant("P", "P", ["tax"], valid_until=int(now + 60)),
        lambda: mandates.grant("P", "D", ["gossip"], valid_until=int(now + 60)),
        lambda: mandates.grant("P", "D", ["tax"], valid_until=int(now - 60)),
    ):
        try:
            await bad()
            raise AssertionError("should refuse")
        except MandateError:
            pass


async def test_access_log_chain_detects_tampering(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    entries = [
        await log.record_disclosure(
            principal="A" if i % 2 else "B",
            client_id="bank",
            categories=["income"],
            fields=["Citizen.income"],
            purpose="Mortgage",
            consent_id="cns-1",
            trace_id=f"trace-{i}",
        )
        for i in range(5)
    ]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert (await log.verify_chain()).ok

    page, more = await log.entries_for("A", first=1)
    assert [e.id for e in page] == [entries[3].id] and more
    page, more = await log.entries_for("A", first=5, after=page[0].seq)
    assert [e.id for e in page] == [entries[1].id] and not more

    async with engine.begin() as connection:
        await connection.execute(
            update(tables.access_log)
            .where(tables.access_log.c.id == entries[2].id)
            .values(purpose="Something else")
        )
    result = await log.verify_chain()
    assert not result.ok and result.first_bad_seq == entries[2].seq


async def test_concurrent_writers_keep_one_chain(engine: AsyncEngine) -> None:
    import asyncio

    # Two logs on one database behave like two processes: only the unique prev_hash orders them.
    first, second = AccessLog(engine), AccessLog(engine)

    async def write(log: AccessLog, n: int) -> None:
        for i in range(n):
            await log.record_disclosure(
                principal="A", client_id="c", categories=[], fields=[], purpose=str(i)
            )

    await asyncio.gather(write(first, 8), write(second, 8))
    result = await first.verify_chain()
    assert result.ok and result.entries == 16


async def test_postgres_schema_is_isolated(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    assert str(schema).startswith("auth_test_")
