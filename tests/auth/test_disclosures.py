"""The gateway's disclosure hook for this platform: whom each record names, the group commit
that batches concurrent responses, and the batch written to the real auth server's log."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from auth.disclosures import (
    DisclosureLog,
    DisclosureLogError,
    DisclosureLogSettings,
    GroupCommit,
    Record,
    from_environment,
    records_for,
)
from gateway.disclosure import Disclosure
from gateway.errors import ConfigurationError
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from tests.auth.conftest import RunningAuth
from tests.auth.support import GATEWAY_SECRET
from tests.gateway.kit.federation import load_topic

CHILD, PARENT, DELEGATE = "20150101-0001", "19800101-0002", "19700101-0003"
INCOME = Disclosure(PARENT, ("income.total",), frozenset({"income:read"}))
CHILDS_NAME = Disclosure(CHILD, ("name.given",), frozenset({"identity:read", "admin"}))
DETAILS = [
    {"type": "citizen_data", "datatypes": ["income"], "purpose": "Mortgage application"},
    {"type": "citizen_data", "datatypes": ["identity"], "purpose": "Know your customer"},
]


def _claims(**claims: Any) -> dict[str, Any]:
    return {"client_id": "bank", "sub": PARENT, **claims}


# -- whom a record names --------------------------------------------------------------------


def test_the_citizens_own_reads_are_not_recorded_but_a_wards_are() -> None:
    claims = _claims(client_id="portal", authority="self", guardian_of=[CHILD])
    assert records_for(claims, [INCOME, CHILDS_NAME], "trace-1") == [
        {
            "principal": CHILD,
            "client_id": "portal",
            "categories": ["identity"],
            "fields": ["name.given"],
            "purpose": "guardianship",
            "actor": PARENT,
            "consent_id": None,
            "mandate_id": None,
            "trace_id": "trace-1",
        }
    ]


def test_a_platform_names_its_consent_and_the_consents_purpose_for_the_categories() -> None:
    claims = _claims(authority="consent", consent_id="cns-1", authorization_details=DETAILS)
    [record] = records_for(claims, [INCOME], None)
    assert record == {
        "principal": PARENT,
        "client_id": "bank",
        "categories": ["income"],
        "fields": ["income.total"],
        "purpose": "Mortgage application",
        "actor": None,
        "consent_id": "cns-1",
        "mandate_id": None,
        "trace_id": None,
    }
    # The consented categories disclosed about the child too: same consent, its purpose.
    [record] = records_for(claims, [CHILDS_NAME], None)
    assert (record["principal"], record["purpose"]) == (CHILD, "Know your customer")


def test_a_delegate_and_a_guardians_exchanged_token_name_the_person_acting() -> None:
    mandate = _claims(
        client_id="portal",
        authority="mandate",
        act={"sub": DELEGATE},
        delegation="mandate",
        mandate_id="mnd-1",
    )
    [record] = records_for(mandate, [INCOME], None)
    assert (record["actor"], record["mandate_id"], record["purpose"]) == (
        DELEGATE,
        "mnd-1",
        "mandate",
    )
    exchanged = _claims(
        client_id="portal", sub=CHILD, authority="guardianship", act={"sub": PARENT}
    )
    [record] = records_for(exchanged, [CHILDS_NAME], None)
    assert (record["principal"], record["actor"], record["purpose"]) == (
        CHILD,
        PARENT,
        "guardianship",
    )


def test_an_anonymous_disclosure_cannot_be_recorded() -> None:
    with pytest.raises(DisclosureLogError):
        records_for(None, [INCOME], None)


# -- group commit ---------------------------------------------------------------------------


class Writes:
    def __init__(self, error: Exception | None = None, seconds: float = 0.01) -> None:
        self.batches: list[list[Record]] = []
        self.error = error
        self.seconds = seconds

    async def __call__(self, records: list[Record]) -> None:
        await asyncio.sleep(self.seconds)
        if self.error is not None:
            raise self.error
        self.batches.append(records)


def _records(n: int) -> list[Record]:
    return [{"n": n}]


async def test_concurrent_submissions_within_the_wait_share_one_write() -> None:
    writes = Writes()
    commit = GroupCommit(writes, max_batch=100, max_wait=0.05)
    await asyncio.gather(*(commit.submit(_records(n)) for n in range(10)))
    assert writes.batches == [[{"n": n} for n in range(10)]]
    await commit.submit(_records(10))  # later, alone: a batch of its own
    assert len(writes.batches) == 2


async def test_a_full_batch_is_written_without_waiting() -> None:
    writes = Writes()
    commit = GroupCommit(writes, max_batch=3, max_wait=30)
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(commit.submit(_records(n)) for n in range(6))), 5)
    assert time.monotonic() - started < 1
    assert [len(batch) for batch in writes.batches] == [3, 3]


async def test_what_arrives_during_a_write_waits_for_it_and_goes_in_one_batch() -> None:
    writes = Writes(seconds=0.1)
    commit = GroupCommit(writes, max_batch=100, max_wait=0)
    first = asyncio.create_task(commit.submit(_records(0)))
    await asyncio.sleep(0.02)  # the first batch is being written
    await asyncio.gather(first, *(commit.submit(_records(n)) for n in range(1, 6)))
    assert writes.batches == [[{"n": 0}], [{"n": n} for n in range(1, 6)]]


async def test_a_failed_write_fails_every_submission_in_its_batch() -> None:
    commit = GroupCommit(Writes(RuntimeError("down")), max_batch=100, max_wait=0.01)
    outcomes = await asyncio.gather(
        *(commit.submit(_records(n)) for n in range(4)), return_exceptions=True
    )
    assert all(isinstance(o, DisclosureLogError) for o in outcomes), outcomes


async def test_a_submitter_that_stops_waiting_leaves_the_batch_to_the_others() -> None:
    writes = Writes()
    commit = GroupCommit(writes, max_batch=100, max_wait=0.05)
    impatient = asyncio.create_task(commit.submit(_records(0)))
    patient = asyncio.create_task(commit.submit(_records(1)))
    await asyncio.sleep(0.01)
    impatient.cancel()
    await patient
    assert writes.batches == [[{"n": 0}, {"n": 1}]]


# -- against the auth server ----------------------------------------------------------------


def _log(auth_server: RunningAuth, secret: str = GATEWAY_SECRET) -> DisclosureLog:
    return DisclosureLog(
        DisclosureLogSettings(
            url=f"{auth_server.url}/access-log/disclosures",
            client_id="gateway",
            client_secret=secret,
            max_wait_ms=20,
        )
    )


async def test_concurrent_responses_are_written_to_the_log_in_one_chain(
    auth_server: RunningAuth,
) -> None:
    log = _log(auth_server)
    claims = _claims(authority="consent", consent_id="cns-1", authorization_details=DETAILS)
    try:
        await asyncio.gather(*(log(claims, [INCOME], f"trace-{n}") for n in range(12)))
    finally:
        await log.aclose()
    page, _ = await asyncio.to_thread(
        auth_server.call, auth_server.ctx.access_log.entries_for(PARENT, 50)
    )
    assert sorted(e.trace_id or "" for e in page) == sorted(f"trace-{n}" for n in range(12))
    assert {(e.client_id, e.purpose, e.consent_id) for e in page} == {
        ("bank", "Mortgage application", "cns-1")
    }
    result = await asyncio.to_thread(auth_server.call, auth_server.ctx.access_log.verify_chain())
    assert result.ok and result.entries == 12


async def test_a_refused_batch_fails_each_response(auth_server: RunningAuth) -> None:
    log = _log(auth_server, secret="not-the-secret")
    claims = _claims(authority="consent", consent_id="cns-1")
    try:
        outcomes = await asyncio.gather(
            *(log(claims, [INCOME], None) for _ in range(3)), return_exceptions=True
        )
    finally:
        await log.aclose()
    assert all(isinstance(o, DisclosureLogError) and "401" in str(o) for o in outcomes), outcomes


async def test_the_citizens_own_reads_post_nothing(auth_server: RunningAuth) -> None:
    log = _log(auth_server, secret="not-the-secret")  # a POST would fail
    await log(_claims(authority="self"), [INCOME], None)
    await log.aclose()


# -- configuration ----------------------------------------------------------------------------


def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "CLIENT_ID", "CLIENT_SECRET", "CLIENT_SECRET_FILE"):
        monkeypatch.delenv(f"CITIZEN_DISCLOSURE_{name}", raising=False)
    with pytest.raises(ValueError, match=r"CITIZEN_DISCLOSURE_URL: .*CITIZEN_DISCLOSURE_CLIENT_ID"):
        from_environment()
    monkeypatch.setenv("CITIZEN_DISCLOSURE_URL", "http://127.0.0.1:9/access-log/disclosures")
    monkeypatch.setenv("CITIZEN_DISCLOSURE_CLIENT_ID", "gateway")
    with pytest.raises(ValueError, match="CITIZEN_DISCLOSURE_CLIENT_SECRET or"):
        from_environment()


def test_a_gateway_with_the_hook_and_without_its_settings_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CITIZEN_DISCLOSURE_URL", raising=False)
    settings = GatewaySettings(
        disclosure_subject="Person.id", disclosure_hook="auth.disclosures:record"
    )
    with pytest.raises(
        ConfigurationError, match=r"GATEWAY_DISCLOSURE_HOOK: .*CITIZEN_DISCLOSURE_URL"
    ):
        Gateway(load_topic("disclosure").supergraph, settings)


def test_the_secret_may_come_from_a_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret").write_text("s3cret\n")
    monkeypatch.setenv("CITIZEN_DISCLOSURE_URL", "http://127.0.0.1:9/access-log/disclosures")
    monkeypatch.setenv("CITIZEN_DISCLOSURE_CLIENT_ID", "gateway")
    monkeypatch.delenv("CITIZEN_DISCLOSURE_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("CITIZEN_DISCLOSURE_CLIENT_SECRET_FILE", str(tmp_path / "secret"))
    assert from_environment().settings.secret() == "s3cret"
