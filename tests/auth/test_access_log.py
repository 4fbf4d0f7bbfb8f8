"""The access log on SQLite and on the real PostgreSQL: batches appended in one transaction,
one chain kept by several replicas at once, the chain's verification naming the first
broken record, the citizen's filtered pages, and `python -m auth verify-log`."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.__main__ import main
from auth.access_log import GENESIS, AccessLog, AccessLogEntry, Disclosed
from auth.db import open_database
from tests.auth.conftest import POSTGRES_URL, RunningAuth
from tests.auth.support import GATEWAY_SECRET

GATEWAY = ("gateway", GATEWAY_SECRET)


def _disclosed(principal: str = "A", client_id: str = "bank", n: int = 0) -> Disclosed:
    return Disclosed(
        principal=principal,
        client_id=client_id,
        categories=("income",),
        fields=("income.total",),
        purpose="Mortgage",
        consent_id="cns-1",
        trace_id=f"trace-{n}",
    )


async def _rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(tables.access_log)))


async def _filled(engine: AsyncEngine, n: int = 6) -> list[AccessLogEntry]:
    return await AccessLog(engine).record_disclosures(
        [_disclosed("A" if i % 2 else "B", n=i) for i in range(n)]
    )


async def test_a_batch_is_chained_in_order_in_one_append(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    first = await log.record_disclosures([_disclosed(n=0), _disclosed(n=1)])
    second = await log.record_disclosures([_disclosed("B", n=2)])
    entries = first + second
    assert [e.trace_id for e in entries] == ["trace-0", "trace-1", "trace-2"]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash and b.seq > a.seq for a, b in itertools.pairwise(entries))
    result = await log.verify_chain()
    assert result.ok and result.entries == 3


async def test_a_batch_is_written_whole_or_not_at_all(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    bad = Disclosed("A", "bank", (), (), None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):  # purpose is NOT NULL
        await log.record_disclosures([_disclosed(n=0), _disclosed(n=1), bad])
    assert await _rows(engine) == 0
    assert len(await log.record_disclosures([_disclosed(n=2)])) == 1


async def test_replicas_appending_at_once_keep_one_chain(engine: AsyncEngine) -> None:
    """Three auth replicas (engines of their own on one database) append batches at once: the
    PostgreSQL advisory lock, or on SQLite the unique prev_hash, keeps every record in one
    chain."""
    url = engine.url.render_as_string(hide_password=False)
    schema = ""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            schema = str(await connection.scalar(select(func.current_schema())))
    replicas = [await open_database(url, schema) for _ in range(3)]
    try:

        async def write(log: AccessLog, replica: int) -> None:
            for batch in range(5):
                await log.record_disclosures(
                    [_disclosed(n=replica * 100 + batch * 10 + i) for i in range(4)]
                )

        await asyncio.gather(*(write(AccessLog(r), n) for n, r in enumerate(replicas)))
    finally:
        for replica in replicas:
            await replica.dispose()
    result = await AccessLog(engine).verify_chain()
    assert result.ok and result.entries == 3 * 5 * 4


# -- verification names the first broken record --------------------------------------------


async def test_an_intact_chain_verifies(engine: AsyncEngine) -> None:
    await _filled(engine)
    result = await AccessLog(engine).verify_chain(batch=4)  # across pages too
    assert result.ok and result.entries == 6 and result.first_bad_seq is None


async def test_an_altered_record_is_named(engine: AsyncEngine) -> None:
    entries = await _filled(engine)
    async with engine.begin() as connection:
        await connection.execute(
            update(tables.access_log)
            .where(tables.access_log.c.id == entries[2].id)
            .values(fields='["income.total", "vehicles.registration"]')
        )
    result = await AccessLog(engine).verify_chain()
    assert not result.ok and result.entries == 2
    assert (result.first_bad_seq, result.first_bad_id) == (entries[2].seq, entries[2].id)
    assert "altered" in result.reason


async def test_a_deleted_record_is_named_by_the_one_after_it(engine: AsyncEngine) -> None:
    entries = await _filled(engine)
    async with engine.begin() as connection:
        await connection.execute(
            delete(tables.access_log).where(tables.access_log.c.id == entries[3].id)
        )
    result = await AccessLog(engine).verify_chain()
    assert not result.ok and result.entries == 3
    assert (result.first_bad_seq, result.first_bad_id) == (entries[4].seq, entries[4].id)
    assert "removed" in result.reason


async def test_reordered_records_are_named(engine: AsyncEngine) -> None:
    entries = await _filled(engine)
    t = tables.access_log
    # Swap the places of records 1 and 2 (seq is the order the chain is read in).
    async with engine.begin() as connection:
        await connection.execute(update(t).where(t.c.seq == entries[1].seq).values(seq=-1))
        await connection.execute(
            update(t).where(t.c.seq == entries[2].seq).values(seq=entries[1].seq)
        )
        await connection.execute(update(t).where(t.c.seq == -1).values(seq=entries[2].seq))
    result = await AccessLog(engine).verify_chain()
    assert not result.ok and result.entries == 1
    assert (result.first_bad_seq, result.first_bad_id) == (entries[1].seq, entries[2].id)
    assert "reordered" in result.reason


# -- what the citizen reads -----------------------------------------------------------------


async def test_pages_newest_first_with_filters_and_counts(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    for n, (client, when) in enumerate([("bank", 100), ("shop", 200), ("bank", 300)]):
        await log.record_disclosures([_disclosed("A", client, n)], occurred_at=when)
    await log.record_disclosures([_disclosed("B", "bank", 9)], occurred_at=300)

    page, more = await log.entries_for("A", first=2)
    assert [e.trace_id for e in page] == ["trace-2", "trace-1"] and more
    page, more = await log.entries_for("A", first=2, after=page[-1].seq)
    assert [e.trace_id for e in page] == ["trace-0"] and not more

    page, _ = await log.entries_for("A", client_id="bank")
    assert [e.trace_id for e in page] == ["trace-2", "trace-0"]
    page, _ = await log.entries_for("A", since=150, until=300)
    assert [e.trace_id for e in page] == ["trace-2", "trace-1"]
    assert await log.count_for("A") == 3
    assert await log.count_for("A", client_id="bank", until=299) == 1
    assert await log.count_for("C") == 0


# -- python -m auth verify-log ----------------------------------------------------------------


@pytest.fixture
async def sqlite_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    """The database `python -m auth` opens with CITIZEN_DATA_DIR=tmp_path."""
    monkeypatch.setenv("CITIZEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUTH_DATABASE_URL", raising=False)
    engine = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'auth.sqlite3'}")
    yield engine
    await engine.dispose()


async def test_verify_log_exits_0_with_a_summary(
    sqlite_log: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    await _filled(sqlite_log, 4)
    assert await asyncio.to_thread(main, ["verify-log"]) == 0
    assert capsys.readouterr().out == "access log intact: 4 records, every link verified\n"


async def test_verify_log_exits_1_naming_the_first_broken_record(
    sqlite_log: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = await _filled(sqlite_log, 4)
    async with sqlite_log.begin() as connection:
        await connection.execute(
            update(tables.access_log)
            .where(tables.access_log.c.id == entries[1].id)
            .values(client_id="someone-else")
        )
    assert await asyncio.to_thread(main, ["verify-log"]) == 1
    assert capsys.readouterr().out == (
        f"access log broken at record seq {entries[1].seq} (id {entries[1].id}): its facts "
        "do not match its hash (the record was altered); the 1 records before it verify\n"
    )


def test_verify_log_on_postgresql(
    postgres_schema: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def fill() -> None:
        engine = await open_database(POSTGRES_URL, postgres_schema)
        await _filled(engine, 3)
        await engine.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("AUTH_DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("AUTH_DATABASE_SCHEMA", postgres_schema)
    assert main(["verify-log"]) == 0
    assert capsys.readouterr().out == "access log intact: 3 records, every link verified\n"


# -- POST /access-log/disclosures ---------------------------------------------------------------


def test_the_endpoint_writes_a_list_in_one_append_or_refuses_it(auth_server: RunningAuth) -> None:
    items = [
        {"principal": "A", "client_id": "bank", "categories": ["income"], "trace_id": "t1"},
        {"principal": "B", "client_id": "bank", "fields": ["name.given"], "actor": "C"},
    ]
    with auth_server.client() as http:
        answer = http.post("/access-log/disclosures", json=items, auth=GATEWAY)
        assert answer.status_code == 201
        recorded = answer.json()["recorded"]
        assert [r["seq"] for r in recorded] == [1, 2]
        for bad in ({"principal": "A"}, {"principal": "A", "client_id": "b", "fields": "x"}):
            refused = http.post("/access-log/disclosures", json=[items[0], bad], auth=GATEWAY)
            assert refused.status_code == 400, refused.text
    page, _ = auth_server.call(auth_server.ctx.access_log.entries_for("B"))
    assert [(e.actor, e.fields, e.purpose) for e in page] == [("C", ("name.given",), "")]
    assert auth_server.call(auth_server.ctx.access_log.verify_chain()).entries == 2
