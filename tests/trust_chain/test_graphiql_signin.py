"""GraphiQL signs in, in headless Chromium, on the platform as `make run` starts it: the citizen
clicks "Sign in", signs in on whatever page the auth server sends the popup to, runs a query
as themselves, acts for a child in their care (token exchange) and runs it again, signs out and
is nobody; a delegate acts for a principal whose mandate they accepted; and no token is ever in
the page's storage or cookies.

The platform runs in the production profile (`PROFILE`): the sign-in goes through the
stand-in national eID the launcher starts (a second auth server whose test sign-in lists the
seeded citizens), so this is the whole production path; with `CITIZEN_ENV=development` the
same tests also check the development identity header.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from subgraphs.seed import demo_personal_id
from tests.browser import Browser, Page
from tests.launched import HOST, Launcher, running_platform
from tests.trust_chain.people import People, find_people

pytestmark = pytest.mark.slow

PROFILE = {"CITIZEN_ENV": "production"}
QUERY = "{ me { personalId name { given } } }"
EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
RESPONSE = "document.querySelector('.graphiql-response .CodeMirror').CodeMirror"
WHO = "document.querySelector('#signin-who').textContent"


@dataclass
class Running:
    launcher: Launcher
    data_dir: Path
    people: People

    @property
    def graphiql(self) -> str:
        return self.launcher.service("gateway").url(HOST)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir = tmp_path_factory.mktemp("graphiql-signin").resolve()
    with running_platform(data_dir, **PROFILE) as launcher:
        yield Running(launcher, data_dir, find_people(data_dir, date.today()))


@pytest.fixture
async def browser(chromium: str, tmp_path: Path) -> AsyncIterator[Browser]:
    async with Browser(chromium, tmp_path / "chromium-profile", (1400, 900)) as browser:
        yield browser


async def _open(page: Page, running: Running) -> None:
    await page.navigate(f"{running.graphiql}#query={quote(QUERY)}")
    await page.wait_for(f"{EDITOR} !== null && {WHO} === 'Not signed in'")
    assert await page.evaluate(f"{EDITOR}.CodeMirror.getValue()") == QUERY


async def _run(page: Page, query: str | None = None) -> dict[str, Any]:
    """Press GraphiQL's run button (after typing `query`) and read the response pane."""
    if query is not None:
        await page.evaluate(f"{EDITOR}.CodeMirror.setValue({json.dumps(query)})")
    await page.evaluate(f"{RESPONSE}.setValue('')")
    await page.click(".graphiql-execute-button")
    await page.wait_for(f"{RESPONSE}.getValue().startsWith('{{')")
    answer: dict[str, Any] = json.loads(await page.evaluate(f"{RESPONSE}.getValue()"))
    return answer


async def _headers_editor(page: Page, value: str | None = None) -> str:
    """The headers editor's text (GraphiQL's second tool editor, after the variables); with
    `value`, replaced by it first, as a developer would type."""
    editor = "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1].CodeMirror"
    if value is not None:
        await page.evaluate(f"{editor}.setValue({json.dumps(value)})")
    text: str = await page.evaluate(f"{editor}.getValue()")
    return text


async def _sign_in_as(window: Page, personal_id: str) -> None:
    """On the sign-in page the auth server sent the popup to: name the person, send the form."""
    field = "document.querySelector('input[name=personal_id]:not([type=hidden])')"
    await window.wait_for(f"{field} !== null")
    await window.evaluate(
        f"{field}.value = {json.dumps(personal_id)}; {field}.form.requestSubmit()"
    )


async def _sign_in(browser: Browser, personal_id: str, *, signed_in_at_auth: bool = False) -> None:
    """Click "Sign in"; sign in on the page the popup shows, unless this browser still has a
    session at the auth server, which lets the popup straight through."""
    await browser.click("#signin-button")
    if not signed_in_at_auth:
        window = await browser.new_window()
        # The sign-in pages cannot reach back into GraphiQL.
        assert await window.evaluate("window.opener === null")
        await _sign_in_as(window, personal_id)
    await browser.wait_for(f"{WHO}.startsWith('Signed in as ') && {WHO}.includes('{personal_id}')")
    # The popup is gone: the page closed it once the code came back.
    await browser.wait_for_windows(1)


async def _act_for(page: Page, personal_id: str) -> str:
    """Choose `personal_id` under "Act for"; return the option's text."""
    select = "document.querySelector('#act-for')"
    option = f"[...{select}.options].find(o => o.value === '{personal_id}')"
    await page.wait_for(f"{option} !== undefined")
    await page.evaluate(
        f"{select}.value = '{personal_id}'; {select}.dispatchEvent(new Event('change'))"
    )
    await page.wait_for(f"({WHO}.split(', acting for ')[1] || '').includes('{personal_id}')")
    text: str = await page.evaluate(f"{option}.text")
    return text


async def test_sign_in_act_for_a_child_and_sign_out(
    running: Running, browser: Browser, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("GATEWAY_SCREENSHOTS", tmp_path))
    parent, child = running.people.parent, running.people.minor
    await _open(browser, running)

    if PROFILE["CITIZEN_ENV"] == "development":
        # The launcher's development identity header still works for a quick test; cleared,
        # nobody is signed in.
        header = json.loads(await _headers_editor(browser))["x-citizen-dev-identity"]
        assert header == demo_personal_id(running.data_dir)
        assert (await _run(browser))["data"]["me"]["personalId"] == header
        await _headers_editor(browser, "")
    assert (await _run(browser))["data"]["me"] is None

    await _sign_in(browser, parent)
    me = (await _run(browser))["data"]["me"]
    assert me["personalId"] == parent
    given, family = _name_of(running, parent)
    assert await browser.evaluate(WHO) == f"Signed in as {given} {family} ({parent})"
    await browser.screenshot(shots / "graphiql-signed-in.png")

    assert (await _act_for(browser, child)).endswith(", in your care")
    answer = await _run(browser)
    assert answer["data"]["me"]["personalId"] == child, answer
    await browser.screenshot(shots / "graphiql-acting-for.png")

    # Back to yourself without signing in again, then out.
    await browser.evaluate(
        "const s = document.querySelector('#act-for'); s.value = '';"
        " s.dispatchEvent(new Event('change'))"
    )
    assert (await _run(browser))["data"]["me"]["personalId"] == parent
    await browser.click("#signout-button")
    await browser.wait_for(f"{WHO} === 'Not signed in'")
    assert await browser.evaluate("document.querySelector('#act-for').labels[0].hidden")
    assert (await _run(browser))["data"]["me"] is None
    assert await browser.errors() == []


async def test_no_token_in_storage_or_cookies(running: Running, browser: Browser) -> None:
    """Signed in and acting for a child, two tokens are in the page's memory: none of them, nor
    any other JWT, nor the PKCE verifier's name, is in the page's storage or cookies."""
    await _open(browser, running)
    await _sign_in(browser, running.people.parent)
    await _act_for(browser, running.people.minor)
    assert (await _run(browser))["data"]["me"]["personalId"] == running.people.minor
    stored: dict[str, Any] = await browser.evaluate(
        "({local: {...localStorage}, session: {...sessionStorage}, cookie: document.cookie})"
    )
    assert stored["local"], "GraphiQL keeps its tabs in localStorage: the check sees them"
    text = json.dumps(stored)
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", text), stored
    for word in ("access_token", "id_token", "verifier", "Bearer"):
        assert word not in text, (word, stored)
    assert stored["session"] == {} and stored["cookie"] == ""


async def test_act_for_a_principal_whose_mandate_you_accepted(
    running: Running, browser: Browser, chromium: str, tmp_path: Path
) -> None:
    """Two citizens, each in their own browser: one gives the other a mandate for their
    identity data in GraphiQL, the other accepts it there; signed in again, the delegate can
    act for the principal, within the mandate's theme."""
    principal, delegate = running.people.spouse, running.people.stranger
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    await _open(browser, running)
    await _sign_in(browser, delegate)
    assert await browser.evaluate("document.querySelector('#act-for').labels[0].hidden")
    async with Browser(chromium, tmp_path / "principal-profile", (1400, 900)) as theirs:
        await _open(theirs, running)
        await _sign_in(theirs, principal)
        granted = await _run(
            theirs,
            f'mutation {{ grantMandate(delegate: "{delegate}", themes: [IDENTITY], '
            f'validUntil: "{until}") {{ id status }} }}',
        )
    mandate = granted["data"]["grantMandate"]
    assert mandate["status"] == "PENDING", granted
    accepted = await _run(
        browser, f'mutation {{ acceptMandate(id: "{mandate["id"]}") {{ status }} }}'
    )
    assert accepted["data"]["acceptMandate"]["status"] == "ACTIVE", accepted

    # A reload forgets the tokens; the auth server's session signs the delegate straight in.
    await browser.reload()
    await browser.wait_for(f"{EDITOR} !== null && {WHO} === 'Not signed in'")
    await _sign_in(browser, delegate, signed_in_at_auth=True)
    assert await _act_for(browser, principal) == f"{principal}, mandate for identity"
    me = (await _run(browser, QUERY))["data"]["me"]
    assert me == {"personalId": principal, "name": {"given": _name_of(running, principal)[0]}}
    # Outside the mandate's theme the principal's data stays closed.
    family = await _run(browser, "{ me { guardianOf { personalId } } }")
    assert family["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE", family
    assert await browser.errors() == []


def _name_of(running: Running, personal_id: str) -> tuple[str, str]:
    """(given, family) from the population register's own database."""
    path = running.data_dir / "population.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        given, family = connection.execute(
            "SELECT given_name, family_name FROM person WHERE personal_id = ?", (personal_id,)
        ).fetchone()
    return str(given), str(family)
