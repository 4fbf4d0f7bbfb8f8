"""The data access log: append-only, hash-chained records of every disclosure.

    record.hash = sha256(record.prev_hash + canonical JSON of the record's facts)

One chain for the whole log, in `seq` order; the first record's `prev_hash` is 64 zeros.
Changing, removing or reordering any record breaks the link at it or at the one after,
which `verify_chain` names. Appends come in batches (the gateway's group commit): a batch is
one transaction that reads the tail and chains its records one after another. On PostgreSQL
the transaction first takes an advisory lock, so replicas append in turn instead of racing;
on any dialect `prev_hash` is unique, so two writers that read the same tail cannot both
append after it: the loser reads the new tail and tries again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth import tables

GENESIS = "0" * 64
_RETRIES = 20
# pg_advisory_xact_lock key for appending to the chain (migrations hold 727001).
_APPEND_LOCK = 727002


@dataclass(frozen=True)
class Disclosed:
    """One disclosure of `principal`'s data to `client_id` (and `actor`, when a person acted
    through it), as the gateway reports it."""

    principal: str
    client_id: str
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    purpose: str
    actor: str | None = None
    consent_id: str | None = None
    mandate_id: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class AccessLogEntry:
    seq: int
    id: str
    principal: str
    client_id: str
    actor: str | None
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    purpose: str
    consent_id: str | None
    mandate_id: str | None
    occurred_at: int
    trace_id: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    entries: int  # records verified before the first broken one (all of them when ok)
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    reason: str = ""


def entry_hash(prev_hash: str, facts: dict[str, Any]) -> str:
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _facts(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "principal": entry.principal,
        "client_id": entry.client_id,
        "actor": entry.actor,
        "categories": list(entry.categories),
        "fields": list(entry.fields),
        "purpose": entry.purpose,
        "consent_id": entry.consent_id,
        "mandate_id": entry.mandate_id,
        "occurred_at": entry.occurred_at,
        "trace_id": entry.trace_id,
    }


def _entry(row: Row[tuple[object, ...]]) -> AccessLogEntry:
    m = row._mapping
    return AccessLogEntry(
        seq=m["seq"],
        id=m["id"],
        principal=m["principal"],
        client_id=m["client_id"],
        actor=m["actor"],
        categories=tuple(json.loads(m["categories"])),
        fields=tuple(json.loads(m["fields"])),
        purpose=m["purpose"],
        consent_id=m["consent_id"],
        mandate_id=m["mandate_id"],
        occurred_at=m["occurred_at"],
        trace_id=m["trace_id"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


class AccessLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._lock = asyncio.Lock()  # spares same-process writers the retry

    async def record_disclosure(
        self,
        *,
        principal: str,
        client_id: str,
        categories: Sequence[str],
        fields: Sequence[str],
        purpose: str,
        actor: str | None = None,
        consent_id: str | None = None,
        mandate_id: str | None = None,
        trace_id: str | None = None,
        occurred_at: int | None = None,
    ) -> AccessLogEntry:
        """Append one disclosure and return the chained record."""
        disclosed = Disclosed(
            principal,
            client_id,
            tuple(categories),
            tuple(fields),
            purpose,
            actor,
            consent_id,
            mandate_id,
            trace_id,
        )
        [entry] = await self.record_disclosures([disclosed], occurred_at)
        return entry

    async def record_disclosures(
        self, disclosures: Sequence[Disclosed], occurred_at: int | None = None
    ) -> list[AccessLogEntry]:
        """Append a batch in one transaction, chained in the order given: all or none."""
        when = int(time.time()) if occurred_at is None else occurred_at
        drafts = [
            AccessLogEntry(
                seq=0,
                id="log-" + secrets.token_urlsafe(12),
                principal=d.principal,
                client_id=d.client_id,
                actor=d.actor,
                categories=d.categories,
                fields=d.fields,
                purpose=d.purpose,
                consent_id=d.consent_id,
                mandate_id=d.mandate_id,
                occurred_at=when,
                trace_id=d.trace_id,
                prev_hash="",
                hash="",
            )
            for d in disclosures
        ]
        if not drafts:
            return []
        t = tables.access_log
        async with self._lock:
            for _ in range(_RETRIES):
                try:
                    async with self.engine.begin() as connection:
                        if connection.dialect.name == "postgresql":
                            await connection.execute(
                                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK}
                            )
                        tail = await _tail(connection)
                        chained = _chained(tail, drafts)
                        result = await connection.execute(
                            t.insert().returning(t.c.seq, sort_by_parameter_order=True),
                            [_row(entry) for entry in chained],
                        )
                        seqs = list(result.scalars())
                except IntegrityError:
                    async with self.engine.connect() as connection:
                        if await _tail(connection) == tail:
                            raise  # no writer came first: the batch itself is wrong
                    continue  # another writer appended after the same tail first
                return [replace(e, seq=seq) for e, seq in zip(chained, seqs, strict=True)]
        raise RuntimeError("could not append to the access log: too much contention")

    async def entries_for(
        self,
        principal: str,
        first: int = 20,
        after: int | None = None,
        *,
        client_id: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> tuple[list[AccessLogEntry], bool]:
        """A page of a citizen's records, newest first; `after` is the last seq seen. The
        filters keep one platform's and those that occurred in [since, until]."""
        t = tables.access_log
        query = select(t).where(_matching(principal, client_id, since, until))
        if after is not None:
            query = query.where(t.c.seq < after)
        query = query.order_by(t.c.seq.desc()).limit(first + 1)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        entries = [_entry(r) for r in rows[:first]]
        return entries, len(rows) > first

    async def count_for(
        self,
        principal: str,
        *,
        client_id: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> int:
        """How many of a citizen's records the same filters keep."""
        query = (
            select(func.count())
            .select_from(tables.access_log)
            .where(_matching(principal, client_id, since, until))
        )
        async with self.engine.connect() as connection:
            return int(await connection.scalar(query) or 0)

    async def verify_chain(self, batch: int = 1000) -> ChainVerification:
        """Walk the whole log in order and recompute every link; name the first broken one."""
        t = tables.access_log
        prev_hash = GENESIS
        last_seq = 0
        count = 0
        while True:
            async with self.engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(t).where(t.c.seq > last_seq).order_by(t.c.seq).limit(batch)
                    )
                ).all()
            if not rows:
                return ChainVerification(True, count)
            for row in rows:
                entry = _entry(row)
                reason = ""
                if entry.prev_hash != prev_hash:
                    reason = (
                        "its link to the previous record is broken (a record before it was "
                        "removed, or records were reordered)"
                    )
                elif entry_hash(prev_hash, _facts(entry)) != entry.hash:
                    reason = "its facts do not match its hash (the record was altered)"
                if reason:
                    return ChainVerification(False, count, entry.seq, entry.id, reason)
                prev_hash = entry.hash
                last_seq = entry.seq
                count += 1


async def _tail(connection: AsyncConnection) -> str:
    t = tables.access_log
    tail = await connection.scalar(select(t.c.hash).order_by(t.c.seq.desc()).limit(1))
    return tail or GENESIS


def _chained(prev_hash: str, drafts: list[AccessLogEntry]) -> list[AccessLogEntry]:
    """A batch's records, each linked to the one before."""
    chained = []
    for draft in drafts:
        entry = replace(draft, prev_hash=prev_hash, hash=entry_hash(prev_hash, _facts(draft)))
        chained.append(entry)
        prev_hash = entry.hash
    return chained


def _row(entry: AccessLogEntry) -> dict[str, Any]:
    facts = _facts(entry)
    return dict(
        facts,
        categories=json.dumps(facts["categories"]),
        fields=json.dumps(facts["fields"]),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


def _matching(
    principal: str, client_id: str | None, since: int | None, until: int | None
) -> ColumnElement[bool]:
    t = tables.access_log
    conditions = [t.c.principal == principal]
    if client_id is not None:
        conditions.append(t.c.client_id == client_id)
    if since is not None:
        conditions.append(t.c.occurred_at >= since)
    if until is not None:
        conditions.append(t.c.occurred_at <= until)
    return and_(*conditions)
