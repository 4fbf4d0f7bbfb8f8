"""The citizen account's story, in headless Chromium, on the platform as `make run` starts it.

A citizen signs in to the portal, sees the birth of their child and the child benefit granted
without applying, opens the mortgage bank example, consents to income only; the bank shows the
income and no other data; the citizen finds the bank's read in the access log and withdraws
the consent, and the bank's next read is refused; then they act for the child in their care and
stop. Every page met on the way, and every other
page of the portal in both its languages, passes axe-core's WCAG 2.2 A and AA rules.

The story is walked twice: with the pointer (real mouse events) in the development profile,
what `make run` gives a newcomer; and with the keyboard alone (Tab, Enter, Space, typing) in
the production profile, where signing in goes through the stand-in national eID. A screenshot
of each step is written to `$TEST_ARTIFACTS/story/<walk>/` (default `.artifacts/`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from subgraphs.seed import demo_personal_id
from tests.browser import Browser, Page
from tests.launched import HOST, ROOT, Launcher, running_platform

pytestmark = pytest.mark.slow

BANK_NAME = "Mortgage bank (example)"
# Pages of the portal the story does not pass through, checked in both languages.
OTHER_PAGES = ("/information", "/family", "/mandates", "/notifications")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / ".artifacts")) / "story"
ENGLISH = json.loads((ROOT / "portal" / "locales" / "en.json").read_text())


class Hands(Protocol):
    """How the citizen works a page: what they activate, tick and type into."""

    async def activate(self, page: Page, selector: str) -> None: ...
    async def tick(self, page: Page, selector: str) -> None: ...
    async def fill(self, page: Page, selector: str, text: str) -> None: ...


class Pointer:
    async def activate(self, page: Page, selector: str) -> None:
        await page.click_at(selector)

    async def tick(self, page: Page, selector: str) -> None:
        await page.click_at(selector)

    async def fill(self, page: Page, selector: str, text: str) -> None:
        await page.click_at(selector)
        await page.type_text(text)


class Keyboard:
    """Only what a keyboard user can do: move the focus with Tab until it reaches the control
    (never by script), then Enter, Space or typing."""

    async def _reach(self, page: Page, selector: str) -> None:
        await page.tab_to(f"el.matches({json.dumps(selector)})")

    async def activate(self, page: Page, selector: str) -> None:
        await self._reach(page, selector)
        await page.press("Enter")

    async def tick(self, page: Page, selector: str) -> None:
        await self._reach(page, selector)
        await page.press("Space")

    async def fill(self, page: Page, selector: str, text: str) -> None:
        await self._reach(page, selector)
        await page.type_text(text)


def _launch(tmp_path_factory: pytest.TempPathFactory, profile: str) -> Iterator[Launcher]:
    data_dir = tmp_path_factory.mktemp(f"story-{profile}").resolve()
    with running_platform(data_dir, CITIZEN_ENV=profile) as launcher:
        yield launcher


@pytest.fixture
def development(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    yield from _launch(tmp_path_factory, "development")


@pytest.fixture
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    yield from _launch(tmp_path_factory, "production")


@pytest.fixture
async def browser(chromium: str, tmp_path: Path) -> AsyncIterator[Browser]:
    async with Browser(chromium, tmp_path / "chromium-profile", (1280, 900)) as browser:
        yield browser


class Walk:
    """One walk through the story: the page, the hands, and the record of every step."""

    def __init__(
        self, page: Page, hands: Hands, launcher: Launcher, name: str, axe_script: str
    ) -> None:
        self.page = page
        self.hands = hands
        self.launcher = launcher
        self.axe_script = axe_script
        self.artifacts = ARTIFACTS / name
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.steps = 0

    def url(self, service: str, path: str = "/") -> str:
        return self.launcher.service(service).url(HOST, path)

    async def open(self, service: str, path: str = "/") -> None:
        await self.page.navigate(self.url(service, path))

    async def leave(self, action: Callable[[], Awaitable[None]], arrive_at: str) -> None:
        """Do what sends the browser to another document, and wait until it has arrived at a
        URL containing `arrive_at` (through whatever redirects come between)."""
        await self.page.evaluate("window.__story_old_document = true")
        await action()
        await self.page.wait_for(
            f"window.__story_old_document === undefined && "
            f"location.href.includes({json.dumps(arrive_at)}) && document.readyState === 'complete'"
        )

    async def activate(self, selector: str, arrive_at: str) -> None:
        await self.leave(lambda: self.hands.activate(self.page, selector), arrive_at)

    async def check(self, name: str) -> None:
        """The step's screenshot, then: no accessibility violation, no script or CSP error."""
        self.steps += 1
        await self.page.screenshot(self.artifacts / f"{self.steps:02d}-{name}.png")
        violations = await self.page.accessibility_violations(self.axe_script)
        assert violations == [], f"{name} ({await self.href()}): {violations}"
        assert await self.page.errors() == [], name

    async def href(self) -> str:
        value: str = await self.page.evaluate("location.href")
        return value

    async def text(self, selector: str = "main") -> str:
        value: str = await self.page.evaluate(
            f"document.querySelector({json.dumps(selector)})?.innerText ?? ''"
        )
        return value

    async def exists(self, selector: str) -> bool:
        return bool(await self.page.evaluate(f"!!document.querySelector({json.dumps(selector)})"))


def _citizen(data_dir: Path) -> tuple[str, str, str]:
    """The seeded parent of the most recently born child: personal id, given and family name."""
    personal_id = demo_personal_id(data_dir)
    assert personal_id is not None
    with sqlite3.connect(data_dir / "population.sqlite3") as connection:
        given, family = connection.execute(
            "SELECT given_name, family_name FROM person WHERE personal_id = ?", (personal_id,)
        ).fetchone()
    return personal_id, given, family


def _newest_child(data_dir: Path, parent: str) -> str:
    with sqlite3.connect(data_dir / "population.sqlite3") as connection:
        (child,) = connection.execute(
            "SELECT personal_id FROM person JOIN parent_child ON child_id = personal_id"
            " WHERE parent_id = ? ORDER BY date_of_birth DESC LIMIT 1",
            (parent,),
        ).fetchone()
    return str(child)


async def _sign_in(walk: Walk, personal_id: str) -> None:
    """From the portal's start page through whatever sign-in the profile has (the test sign-in,
    or the stand-in eID's) back to the portal's overview."""
    await walk.open("portal")
    await walk.check("portal-start")
    await walk.activate("#signin", "/signin/test")
    await walk.check("sign-in")
    await walk.hands.fill(walk.page, "#personal_id", personal_id)
    await walk.leave(lambda: walk.page.press("Enter"), walk.url("portal"))


async def story(walk: Walk) -> None:
    personal_id, given, family = _citizen(walk.launcher.data_dir)
    await _sign_in(walk, personal_id)

    # The overview: the birth, and the child benefit that nobody applied for.
    await walk.page.wait_for("document.querySelector('h1') !== null")
    birth = await walk.page.evaluate(
        "[...document.querySelectorAll('section.event')].filter(s => s.querySelector('h3')"
        f".textContent.includes({json.dumps(ENGLISH['event.BIRTH_OF_CHILD'])}))"
        ".map(s => [...s.querySelectorAll('li.step-done_automatically h4')]"
        ".map(h => h.textContent))"
    )
    assert birth, await walk.text()
    assert any("Child benefit" in step for steps in birth for step in steps), birth
    await walk.check("overview-birth-and-child-benefit")

    # The bank asks; the citizen shares their income and nothing else.
    await walk.open("mortgage_bank")
    await walk.check("bank-start")
    await walk.activate("#share-data", "/authorize")
    await walk.check("consent-page")
    assert await walk.exists("#category-identity") and await walk.exists("#category-income")
    await walk.hands.tick(walk.page, "#category-income")
    await walk.activate("button[name=decision][value=approve]", "/application")
    assert await walk.exists("#income-total"), await walk.text()
    assert await walk.exists("#identity-not-shared")
    assert not await walk.exists("#applicant-name")
    page_text = await walk.text("body")
    assert given not in page_text and family not in page_text and personal_id not in page_text
    await walk.check("bank-shows-income-only")

    # The citizen sees the read in their access log.
    await walk.open("portal", "/access-log")
    log = await walk.text("#log-table")
    assert BANK_NAME in log, log
    await walk.check("access-log-shows-the-bank")

    # ...and withdraws the consent.
    await walk.open("portal", "/consents")
    heading = await walk.page.evaluate(
        "[...document.querySelectorAll('section.consent h2')].find(h => "
        f"h.textContent.includes({json.dumps(BANK_NAME)}))?.id"
    )
    assert heading is not None, await walk.text()
    await walk.activate(f"section[aria-labelledby={heading}] button[type=submit]", "/consents")
    assert await walk.exists("#status.has-message")
    await walk.check("consent-withdrawn")

    # The bank's next read is refused, and the bank says why.
    await walk.open("mortgage_bank", "/application")
    await walk.activate("#refresh-figures", "/")
    problem = await walk.text("body")
    assert "withdrew" in problem, problem
    await walk.check("bank-read-refused")

    # Acting for the newborn in their care, and back to themselves.
    child = _newest_child(walk.launcher.data_dir, personal_id)
    await walk.open("portal", "/family")
    act = f'form[action="/act"]:has(input[value="{child}"]) button'
    await walk.activate(act, walk.url("portal"))
    assert await walk.exists("#acting-banner"), await walk.text()
    await walk.check("acting-for-the-child")
    await walk.activate("#stop-acting", walk.url("portal"))
    assert not await walk.exists("#acting-banner")

    # Every other page of the portal, in English and in Finnish.
    for path in OTHER_PAGES:
        await walk.open("portal", path)
        await walk.check(f"portal{path.replace('/', '-')}")
    await walk.activate("#language button", "/")
    assert await walk.page.evaluate("document.documentElement.lang") == "fi"
    for path in ("/", *OTHER_PAGES, "/consents", "/access-log"):
        await walk.open("portal", path)
        assert await walk.page.evaluate("document.documentElement.lang") == "fi"
        await walk.check(f"fi-portal{path.replace('/', '-') if path != '/' else '-overview'}")

    await walk.activate("#signout", walk.url("portal"))
    assert await walk.exists("#signin")
    await walk.check("signed-out")


async def test_the_story_with_the_pointer(
    development: Launcher, browser: Browser, axe_script: str
) -> None:
    await story(Walk(browser, Pointer(), development, "pointer", axe_script))


async def test_the_story_with_the_keyboard_alone(
    production: Launcher, browser: Browser, axe_script: str
) -> None:
    await story(Walk(browser, Keyboard(), production, "keyboard", axe_script))
