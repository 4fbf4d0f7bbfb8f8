"""The data access log: append-only, hash-chained records of every disclosure.

    entry.hash = sha256(entry.prev_hash + canonical JSON of the entry's facts)

The first entry's `prev_hash` is 64 zeros. `prev_hash` is unique, so two writers that read
the same tail cannot both append: the loser reads the new tail and tries again. Changing,
removing or reordering any entry breaks every hash after it, which `verify_chain` reports.
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

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables

GENESIS = "0" * 64
_RETRIES = 20


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
    entries: int
    first_bad_seq: int | None = None
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
        """Append one disclosure of `principal`'s data to `client_id` (and `actor`, when a
        delegate acted) and return the chained entry."""
        draft = AccessLogEntry(
            seq=0,
            id="log-" + secrets.token_urlsafe(12),
            principal=principal,
            client_id=client_id,
            actor=actor,
            categories=tuple(categories),
            fields=tuple(fields),
            purpose=purpose,
            consent_id=consent_id,
            mandate_id=mandate_id,
            occurred_at=int(time.time()) if occurred_at is None else occurred_at,
            trace_id=trace_id,
            prev_hash="",
            hash="",
        )
        facts = _facts(draft)
        t = tables.access_log
        async with self._lock:
            for _ in range(_RETRIES):
                async with self.engine.connect() as connection:
                    tail = await connection.scalar(
                        select(t.c.hash).order_by(t.c.seq.desc()).limit(1)
                    )
                prev_hash = tail or GENESIS
                digest = entry_hash(prev_hash, facts)
                row = dict(
                    facts,
                    categories=json.dumps(facts["categories"]),
                    fields=json.dumps(facts["fields"]),
                    prev_hash=prev_hash,
                    hash=digest,
                )
                try:
                    async with self.engine.begin() as connection:
                        result = await connection.execute(t.insert().values(**row))
                except IntegrityError:
                    continue  # another writer appended first
                seq = result.inserted_primary_key
                assert seq is not None
                return replace(draft, seq=int(seq[0]), prev_hash=prev_hash, hash=digest)
        raise RuntimeError("could not append to the access log: too much contention")

    async def entries_for(
        self, principal: str, first: int = 20, after: int | None = None
    ) -> tuple[list[AccessLogEntry], bool]:
        """A page of a citizen's entries, newest first; `after` is the last seq seen."""
        t = tables.access_log
        query = select(t).where(t.c.principal == principal)
        if after is not None:
            query = query.where(t.c.seq < after)
        query = query.order_by(t.c.seq.desc()).limit(first + 1)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        entries = [_entry(r) for r in rows[:first]]
        return entries, len(rows) > first

    async def verify_chain(self, batch: int = 1000) -> ChainVerification:
        """Walk the whole log in order and recompute every link."""
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
                if entry.prev_hash != prev_hash:
                    return ChainVerification(
                        False, count, entry.seq, "link to the previous entry is broken"
                    )
                if entry_hash(prev_hash, _facts(entry)) != entry.hash:
                    return ChainVerification(False, count, entry.seq, "entry was altered")
                prev_hash = entry.hash
                last_seq = entry.seq
                count += 1
