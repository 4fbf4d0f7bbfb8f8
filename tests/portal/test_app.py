"""The portal over real HTTP against a launched platform: sign in through the auth server's
test sign-in, every page read through the gateway with the citizen's token, the citizen's
actions (withdraw a consent, give/accept/end a mandate, act for a child or a principal),
language, the access log's filters, CSRF refusals and signing out. No token ever reaches the
browser: only an opaque session id does."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from launcher.clients import DEMO_PLATFORM, GATEWAY_CLIENT_ID, client_secret, demo_redirect_uri
from launcher.settings import LauncherSettings
from subgraphs.seed import demo_personal_id
from tests.auth.support import Pkce, authorize, citizen_data
from tests.launched import HOST, Launcher
from tests.portal.browser import Browser, stored_sessions, text_of

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


@pytest.fixture
def browsers(launched: tuple[Launcher, Path]) -> Iterator[list[Browser]]:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.close()


def _browser(launched: tuple[Launcher, Path], browsers: list[Browser]) -> Browser:
    browsers.append(Browser(launched[0]))
    return browsers[-1]


def _adults(data_dir: Path, count: int, skip: set[str]) -> list[str]:
    """Living adults with no children, so guardianship plays no part."""
    with sqlite3.connect(data_dir / "population.sqlite3") as connection:
        rows = connection.execute(
            "SELECT personal_id FROM person WHERE date_of_death IS NULL AND date_of_birth < ?"
            " AND personal_id NOT IN (SELECT parent_id FROM parent_child) ORDER BY personal_id",
            ((date.today() - timedelta(days=30 * 365)).isoformat(),),
        ).fetchall()
    return [row[0] for row in rows if row[0] not in skip][:count]


def _parents_of_newest_child(data_dir: Path, parent: str) -> tuple[str, list[str]]:
    """When `parent`'s newest child was born, and both its parents."""
    with sqlite3.connect(data_dir / "population.sqlite3") as connection:
        child, born = connection.execute(
            "SELECT personal_id, date_of_birth FROM person JOIN parent_child"
            " ON child_id = personal_id WHERE parent_id = ? ORDER BY date_of_birth DESC LIMIT 1",
            (parent,),
        ).fetchone()
        parents = connection.execute(
            "SELECT parent_id FROM parent_child WHERE child_id = ?", (child,)
        ).fetchall()
    return born, [row[0] for row in parents]


def test_sign_in_shows_the_birth_and_the_child_benefit_done_without_asking(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    data_dir = launched[1]
    start = _browser(launched, browsers).get("/")
    assert start.status_code == 200 and '<html lang="en">' in start.text
    assert 'id="signin"' in start.text and "Sign in" in text_of(start.text)

    born, parents = _parents_of_newest_child(data_dir, str(demo_personal_id(data_dir)))
    benefit_granted = {}
    for parent in parents:
        browser = _browser(launched, browsers)
        overview = browser.sign_in(parent)
        assert overview.status_code == 200 and overview.url.path == "/"
        words = text_of(overview.text)
        day = date.fromisoformat(born)
        assert f"A child was born \N{EN DASH} {day.day} {day:%B %Y}" in words
        assert "Birth registration by Population register Done for you automatically" in words
        assert "Child benefit by Social insurance institution" in words
        benefit_granted[parent] = (
            "Child benefit by Social insurance institution Done for you automatically" in words
        )
        assert 'aria-current="page"' in overview.text and overview.text.count("<h1") == 1
    # Social insurance paid it to one of the parents without anyone applying: the citizen
    # GraphiQL and `make run` start with.
    assert benefit_granted[str(demo_personal_id(data_dir))], benefit_granted


def test_no_token_ever_reaches_the_browser_and_every_page_is_guarded(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    launcher, data_dir = launched
    browser = _browser(launched, browsers)
    browser.sign_in(str(demo_personal_id(data_dir)))
    for path in (
        "/",
        "/information",
        "/family",
        "/consents",
        "/mandates",
        "/access-log",
        "/notifications",
    ):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert page.text.count("<h1") == 1 and 'id="main"' in page.text
    tokens = [
        value
        for session in stored_sessions(data_dir)
        if isinstance(session.get("tokens"), dict)
        for value in session["tokens"].values()
        if isinstance(value, str)
    ]
    assert tokens
    for response in browser.seen:
        if response.url.host == HOST and response.url.port == launcher.service("portal").port:
            assert not JWT.search(response.text), response.url
            for secret in tokens:
                assert secret not in response.text
                assert secret not in str(response.headers)
    cookie = next(c for c in browser.http.cookies.jar if c.name == "portal_session")
    assert not JWT.search(str(cookie.value)) and cookie.path == "/"
    assert cookie.has_nonstandard_attr("HttpOnly")
    page = browser.get("/information")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert f"form-action 'self' {browser.auth}" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    # Signed out, a page sends the browser to sign in.
    stranger = _browser(launched, browsers)
    assert stranger.get("/mandates").url.path == "/signin/test"


def test_finnish_dates_and_the_choice_is_remembered(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    data_dir = launched[1]
    browser = _browser(launched, browsers)
    browser.sign_in(str(demo_personal_id(data_dir)))
    finnish = browser.submit("/information", "/language", language="fi", back="/information")
    assert finnish.url.path == "/information" and '<html lang="fi">' in finnish.text
    words = text_of(finnish.text)
    assert "Omat tiedot" in words and "Lähde: Väestötietojärjestelmä" in words
    assert re.search(r"Syntymäaika \d{1,2}\. \w+kuuta \d{4}", words), words
    assert re.search(r"\d[\d ]*,\d\d €", words), "money in Finnish style"
    # A new visit in the same browser (the session gone) keeps Finnish: the cookie remembers.
    browser.http.cookies.delete("portal_session")
    assert '<html lang="fi">' in browser.get("/").text
    # Only same-origin paths: anything else goes back to the start.
    away = browser.submit("/", "/language", language="en", back="https://evil.example/")
    assert away.url.host == HOST and away.url.path == "/" and '<html lang="en">' in away.text


def _consent_to_demo_platform(launched: tuple[Launcher, Path], citizen: str) -> str:
    """The demo platform's code flow: the citizen allows income; returns its access token."""
    launcher, data_dir = launched
    settings = LauncherSettings(base_port=launcher.service("gateway").port, data_dir=data_dir)
    redirect = demo_redirect_uri(settings)
    pkce = Pkce.new()
    with httpx.Client(base_url=launcher.service("auth").url(HOST, ""), timeout=30) as http:
        answer = authorize(
            http,
            {
                "response_type": "code",
                "client_id": DEMO_PLATFORM,
                "redirect_uri": redirect,
                "state": "s",
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
                "authorization_details": citizen_data(["income"]),
            },
            citizen,
            ["income"],
        )
        tokens = http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": redirect,
                "code_verifier": pkce.verifier,
            },
            auth=(DEMO_PLATFORM, client_secret(data_dir, DEMO_PLATFORM)),
        )
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["access_token"])


def _gateway(launcher: Launcher, token: str) -> httpx.Response:
    return httpx.post(
        launcher.service("gateway").url(HOST),
        json={"query": "{ me { income { total } } }"},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_the_access_log_and_withdrawing_a_consent(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    launcher, data_dir = launched
    [citizen] = _adults(data_dir, 1, skip=set())
    token = _consent_to_demo_platform(launched, citizen)
    assert _gateway(launcher, token).status_code == 200

    browser = _browser(launched, browsers)
    browser.sign_in(citizen)
    log = text_of(browser.get("/access-log").text)
    assert "1 records" in log and "Demo platform" in log and "Income" in log
    filtered = browser.get("/access-log", platform=DEMO_PLATFORM)
    assert 'option value="demo-platform" selected' in filtered.text
    assert "1 records" in text_of(filtered.text)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert "0 records" in text_of(browser.get("/access-log", **{"from": tomorrow}).text)
    assert "0 records" in text_of(browser.get("/access-log", platform="someone-else").text)
    bad = browser.get("/access-log", **{"from": "31.12.2026"})
    assert 'aria-describedby="filter-from-error"' in bad.text and "Enter a date" in bad.text

    consents = browser.get("/consents")
    words = text_of(consents.text)
    assert "Demo platform" in words and "Income" in words and "Active" in words
    consent_id = re.search(r'name="id" value="(cns-[^"]+)"', consents.text)
    assert consent_id is not None
    done = browser.submit("/consents", "/consents/withdraw", id=consent_id.group(1))
    assert done.url.path == "/consents"
    assert "You withdrew your consent to Demo platform." in text_of(done.text)
    assert 'role="status"' in done.text and "Withdrawn" in text_of(done.text)
    # The platform's token stops working as soon as the gateway hears of the revocation.
    deadline = time.monotonic() + 10
    while _gateway(launcher, token).status_code != 401:
        assert time.monotonic() < deadline, "the withdrawn consent's token still works"
        time.sleep(0.2)


def test_give_accept_act_for_and_end_a_mandate(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    data_dir = launched[1]
    principal_id, delegate_id = _adults(data_dir, 3, skip=set())[1:]
    principal, delegate = _browser(launched, browsers), _browser(launched, browsers)
    principal.sign_in(principal_id)
    delegate.sign_in(delegate_id)

    refused = principal.submit("/mandates", "/mandates/give", delegate="nobody", valid_until="")
    assert refused.status_code == 400
    assert 'aria-describedby="delegate-hint delegate-error"' in refused.text
    assert "Select at least one matter" in text_of(refused.text)

    until = (date.today() + timedelta(days=30)).isoformat()
    given = principal.submit(
        "/mandates", "/mandates/give", delegate=delegate_id, themes="income", valid_until=until
    )
    assert given.url.path == "/mandates", text_of(given.text)
    assert f"You gave a mandate to {delegate_id}." in text_of(given.text)
    assert "Waiting for acceptance" in text_of(given.text)

    waiting = delegate.get("/notifications")
    assert f"{principal_id} gave you a mandate that waits for your acceptance" in text_of(
        waiting.text
    )
    assert re.search(r'<span class="count">\d+', waiting.text)
    mandate_id = re.search(
        r'action="/mandates/accept">.*?name="id" value="([^"]+)"',
        delegate.get("/mandates").text,
        re.S,
    )
    assert mandate_id is not None
    accepted = delegate.submit("/mandates", "/mandates/accept", id=mandate_id.group(1))
    assert "You accepted the mandate." in text_of(accepted.text)

    acting = delegate.submit("/mandates", "/act", personal_id=principal_id, back="/mandates")
    assert 'id="acting-banner"' in acting.text
    information = delegate.get("/information")
    words = text_of(information.text)
    # The mandate covers income only: the gateway refuses the rest, the page says so.
    assert "Earned income" in words
    assert "Not shown: you have no right to see this while acting for this person." in words
    stopped = delegate.submit("/information", "/act/stop", back="/information")
    assert 'id="acting-banner"' not in stopped.text and "You stopped acting for" in stopped.text

    ended = principal.submit("/mandates", "/mandates/end", id=mandate_id.group(1))
    assert "The mandate has ended." in text_of(ended.text) and "Ended" in text_of(ended.text)
    # Acting again is refused now.
    again = delegate.submit("/mandates", "/act", personal_id=principal_id, back="/mandates")
    assert 'id="acting-banner"' not in again.text
    assert "You cannot act for this person" in text_of(again.text)


def test_act_for_a_child_in_your_care(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    data_dir = launched[1]
    browser = _browser(launched, browsers)
    browser.sign_in(str(demo_personal_id(data_dir)))
    family = browser.get("/family")
    ward = re.search(r'action="/act">.*?name="personal_id" value="([^"]+)"', family.text, re.S)
    assert ward is not None
    acting = browser.submit("/family", "/act", personal_id=ward.group(1), back="/family")
    assert acting.url.path == "/"
    banner = re.search(r'id="acting-heading"><strong>You are acting for ([^<]+)<', acting.text)
    assert banner is not None
    child_name = banner.group(1)
    assert child_name in family.text
    information = text_of(browser.get("/information").text)
    assert f"Name {child_name}" in information
    # Managing the account is for the citizen's own token: refused in plain words.
    assert "Not shown" in text_of(browser.get("/consents").text)
    stopped = browser.submit("/", "/act/stop", back="/")
    assert f"You stopped acting for {child_name}." in text_of(stopped.text)


def test_forms_without_the_sessions_csrf_token_are_refused(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    data_dir = launched[1]
    browser, other = _browser(launched, browsers), _browser(launched, browsers)
    browser.sign_in(str(demo_personal_id(data_dir)))
    other.get("/")
    foreign = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/").text)
    assert foreign is not None
    for data in ({}, {"csrf_token": ""}, {"csrf_token": foreign.group(1)}):
        refused = browser.http.post("/act/stop", data=data)
        assert refused.status_code == 403, data
        assert "The form had expired" in text_of(refused.text)
    signout = browser.http.post("/signout", data={})
    assert signout.status_code == 403
    assert browser.get("/information").url.path == "/information"  # still signed in


def test_sign_out_revokes_the_refresh_token_and_ends_both_sign_ins(
    launched: tuple[Launcher, Path], browsers: list[Browser]
) -> None:
    launcher, data_dir = launched
    browser = _browser(launched, browsers)
    [citizen] = _adults(data_dir, 1, skip=set())
    browser.sign_in(citizen)
    session_id = browser.http.cookies["portal_session"]
    [refresh] = [
        s["tokens"]["refresh_token"]
        for s in stored_sessions(data_dir)
        if s.get("personal_id") == citizen and isinstance(s.get("tokens"), dict)
    ][-1:]
    out = browser.submit("/", "/signout")
    assert out.url.path == "/" and "You are signed out." in text_of(out.text)
    assert any(r.url.path == "/logout" for r in out.history)
    # The old session id is worth nothing now.
    replay = httpx.get(
        launcher.service("portal").url(HOST, "/information"),
        cookies={"portal_session": session_id},
        follow_redirects=False,
        timeout=30,
    )
    assert replay.status_code == 303 and replay.headers["location"].startswith("/signin")
    # The refresh token is revoked at auth.
    introspected = httpx.post(
        launcher.service("auth").url(HOST, "/introspect"),
        data={"token": refresh},
        auth=(GATEWAY_CLIENT_ID, client_secret(data_dir, GATEWAY_CLIENT_ID)),
        timeout=30,
    )
    assert introspected.json() == {"active": False}
    # And auth's own sign-in ended too: signing in again asks who you are.
    assert browser.get("/signin").url.path == "/signin/test"
