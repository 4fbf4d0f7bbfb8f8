"""The mortgage bank example on the platform as `make run` starts it: it registered itself,
a citizen shares their income only, the bank shows exactly that, refreshes (rotating its
refresh token), the read is in the citizen's access log, and once the citizen withdraws the
consent the bank's next read says so plainly. Everything over real HTTP, the citizen as a
cookie-keeping client."""

from __future__ import annotations

import json
import re
import stat
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import psutil
import pytest

from auth.tokens import hash_token
from tests.examples.bank_flow import (
    PURPOSE,
    Platform,
    applicant,
    element,
    post_form,
    redirected,
    share,
)
from tests.launched import processes_of, running_platform

pytestmark = pytest.mark.slow

WITHDRAWN = (
    "The citizen withdrew their consent on the citizen account, so we can no longer read "
    "their data. Ask them to share it again."
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("mortgage-bank").resolve()
    with running_platform(data_dir) as launcher:
        yield Platform(launcher, data_dir)


def bank_tokens(platform: Platform, personal_id: str) -> list[tuple[str, int | None, int | None]]:
    """(refresh token hash, rotated_at, revoked_at) of the bank's tokens for this citizen."""
    with platform.auth_db() as db:
        return list(
            db.execute(
                "SELECT refresh_token_hash, rotated_at, revoked_at FROM tokens "
                "WHERE client_id = ? AND personal_id = ? ORDER BY issued_at, rowid",
                (platform.registration()["client_id"], personal_id),
            )
        )


def assert_no_token_shown(platform: Platform, http: httpx.Client, pages: list[str]) -> None:
    """No access token (a JWT) and no refresh token the bank ever held is in a page it served
    or in a cookie it set: only an opaque session id."""
    cookies = [(c.name, c.value, c.port) for c in http.cookies.jar]
    bank_cookies = [value for name, value, _ in cookies if name == "mortgage_bank_session"]
    assert len(bank_cookies) == 1
    with platform.auth_db() as db:
        refresh_hashes = {
            row[0]
            for row in db.execute(
                "SELECT refresh_token_hash FROM tokens WHERE client_id = ?",
                (platform.registration()["client_id"],),
            )
            if row[0]
        }
    assert refresh_hashes
    for text in [*pages, *bank_cookies]:
        assert not re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]*", text)
        assert not {hash_token(word) for word in re.findall(r"[\w-]{20,}", text)} & refresh_hashes


def test_the_bank_registered_itself_and_a_restart_reuses_the_registration(
    platform: Platform,
) -> None:
    assert f"Mortgage bank (example platform): {platform.bank}\n" in platform.launcher.lines
    path = platform.data_dir / "mortgage-bank" / "registration.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = platform.registration()
    with platform.auth_db() as db:
        rows = db.execute("SELECT client_id, metadata, source FROM clients").fetchall()
    ours = [
        (cid, json.loads(meta), source) for cid, meta, source in rows if cid == first["client_id"]
    ]
    assert len(ours) == 1
    _, metadata, source = ours[0]
    assert source == "dynamic"
    assert metadata["client_name"] == "Mortgage bank (example)"
    assert metadata["redirect_uris"] == [urljoin(platform.bank, "/callback")]
    assert metadata["data_categories"] == ["identity", "income"]
    assert metadata["token_endpoint_auth_method"] == "client_secret_basic"
    log = platform.data_dir / "logs" / "mortgage_bank.log"
    assert first["client_secret"] not in log.read_text()

    # The launcher restarts the bank when it exits: the new process keeps its registration.
    restart_bank(platform)
    assert platform.registration() == first
    with platform.auth_db() as db:
        names = [
            json.loads(m)["client_name"] for (m,) in db.execute("SELECT metadata FROM clients")
        ]
    assert names.count("Mortgage bank (example)") == 1
    assert log.read_text().count("registered at") == 1


def test_a_bank_the_citizen_account_forgot_registers_again(platform: Platform) -> None:
    """Wiped auth data (here: only the bank's row) makes the stored client unknown; the next
    start registers anew instead of failing every sign-in."""
    before = platform.registration()
    with platform.auth_db() as db:
        db.execute("DELETE FROM clients WHERE client_id = ?", (before["client_id"],))
    restart_bank(platform)
    after = platform.registration()
    assert after["client_id"] != before["client_id"]
    with platform.auth_db() as db:
        known = {cid for (cid,) in db.execute("SELECT client_id FROM clients")}
    assert after["client_id"] in known


def restart_bank(platform: Platform) -> None:
    bank = next(
        p for p in processes_of(platform.data_dir) if "examples.mortgage_bank" in p.cmdline()
    )
    bank.kill()
    psutil.wait_procs([bank], timeout=10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        restarted = [
            p for p in processes_of(platform.data_dir) if "examples.mortgage_bank" in p.cmdline()
        ]
        try:
            healthy = httpx.get(urljoin(platform.bank, "/health"), timeout=2).status_code == 200
        except httpx.TransportError:
            healthy = False
        if restarted and restarted[0].pid != bank.pid and healthy:
            return
        time.sleep(0.2)
    raise AssertionError("the launcher did not restart the bank")


def test_income_only_refresh_access_log_and_withdrawal(platform: Platform) -> None:
    personal_id, year, total, given, family = applicant(platform.data_dir)
    client_id = platform.registration()["client_id"]
    pages: list[str] = []
    with httpx.Client(timeout=30) as http:
        page = redirected(http, share(platform, http, personal_id, ["income"]))
        pages.append(page.text)
        assert page.status_code == 200, page.text
        html = page.text
        # Exactly what the citizen allowed: the income, as the tax agency holds it, in euros.
        granted = re.findall(r'data-category="(\w+)"', html)
        assert granted == ["income"]
        assert element(html, "income-year") == str(year)
        amount = re.search(r'id="income-total" data-amount="([^"]+)"', html)
        assert amount and amount.group(1) == total
        assert element(html, "income-total") == f"€{float(total):,.2f}"
        assert element(html, "identity-not-shared") == "You did not share your identity details."
        assert 'id="applicant-name"' not in html and given not in html and family not in html
        first_read = re.search(r'id="figures-read-at" datetime="([^"]+)"', html)
        assert first_read
        assert len(bank_tokens(platform, personal_id)) == 1

        # The read is in the citizen's access log: the bank, income only, for its purpose.
        log = platform.as_citizen(
            personal_id,
            "query($p: String) { me { dataAccessLog(platform: $p) { edges { node { "
            "clientId categories purpose } } } } }",
            p=client_id,
        )
        entries = [e["node"] for e in log["data"]["me"]["dataAccessLog"]["edges"]]
        assert entries and {e["clientId"] for e in entries} == {client_id}
        assert all(e["categories"] == ["income"] and e["purpose"] == PURPOSE for e in entries)

        # Refresh: a new token pair; the old refresh token is retired (rotation) and the bank
        # keeps the new one, or the second refresh would fail (a reused refresh token
        # revokes the whole grant).
        time.sleep(1.1)
        page = post_form(http, platform, "/refresh", html)
        pages.append(page.text)
        second_read = re.search(r'id="figures-read-at" datetime="([^"]+)"', page.text)
        assert second_read and second_read.group(1) > first_read.group(1)
        assert re.search(r'data-amount="([^"]+)"', page.text).group(1) == total  # type: ignore[union-attr]
        page = post_form(http, platform, "/refresh", page.text)
        pages.append(page.text)
        assert 'id="income-total"' in page.text and 'id="problem"' not in page.text
        tokens = bank_tokens(platform, personal_id)
        assert len(tokens) == 3
        assert [rotated is not None for _, rotated, _ in tokens] == [True, True, False]
        assert all(revoked is None for _, _, revoked in tokens)
        assert len(entries_of(platform, personal_id, client_id)) > len(entries)

        # The citizen withdraws the consent in the citizen account; the bank's next read
        # fails and it says so plainly, drops its tokens and offers to start again.
        consents = platform.as_citizen(
            personal_id, "{ me { consents { id status platform { clientId } } } }"
        )["data"]["me"]["consents"]
        (consent,) = [
            c
            for c in consents
            if c["platform"]["clientId"] == client_id and c["status"] == "ACTIVE"
        ]
        platform.as_citizen(
            personal_id,
            "mutation($id: ID!) { revokeConsent(id: $id) { status } }",
            id=consent["id"],
        )
        page = post_form(http, platform, "/refresh", page.text)
        pages.append(page.text)
        assert re.search(r'id="problem"[^>]*data-problem="withdrawn"', page.text), page.text
        assert element(page.text, "problem") == WITHDRAWN
        assert 'id="income-total"' not in page.text and 'id="refresh-figures"' not in page.text
        assert 'id="start-again"' in page.text
        start = post_form(http, platform, "/start-again", page.text)
        pages.append(start.text)
        assert 'id="share-data"' in start.text
        assert_no_token_shown(platform, http, pages)


def entries_of(platform: Platform, personal_id: str, client_id: str) -> list[dict[str, Any]]:
    log = platform.as_citizen(
        personal_id,
        "query($p: String) { me { dataAccessLog(platform: $p, first: 50) "
        "{ edges { node { id } } } } }",
        p=client_id,
    )
    return [e["node"] for e in log["data"]["me"]["dataAccessLog"]["edges"]]


def test_a_refused_share_a_forged_callback_and_a_form_without_its_token_read_nothing(
    platform: Platform,
) -> None:
    personal_id, *_ = applicant(platform.data_dir)
    before = bank_tokens(platform, personal_id)
    with httpx.Client(timeout=30) as http:
        refused = share(platform, http, personal_id, [], decision="refuse")
        assert refused.status_code == 200 and "You did not share anything" in refused.text
        # The state was used: the same callback again is refused, and so is a made-up one.
        again = http.get(str(refused.request.url))
        assert again.status_code == 400 and "This link has expired" in again.text
        forged = http.get(urljoin(platform.bank, "/callback"), params={"code": "x", "state": "y"})
        assert forged.status_code == 400
        assert http.get(urljoin(platform.bank, "/application")).status_code == 303
        # A form from another site cannot make the bank send the citizen anywhere.
        cross_site = http.post(urljoin(platform.bank, "/share"), data={"csrf": "forged"})
        assert cross_site.status_code == 403
    assert bank_tokens(platform, personal_id) == before


def test_pages_forbid_scripts_and_framing_and_keep_the_referrer(platform: Platform) -> None:
    page = httpx.get(platform.bank, timeout=30)
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="en">' in page.text and page.text.count("<h1>") == 1
    assert "<main" in page.text and 'href="#main"' in page.text
