"""The browser kit the page tests rely on: a keyboard that reaches and works controls, and an
accessibility check that finds what it should (so a page test's "no violations" means
something)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser import Browser

ACCESSIBLE = """<!doctype html><html lang="en"><head><title>Kit</title></head><body>
<main><h1>Kit</h1>
<form onsubmit="event.preventDefault(); document.title = 'sent ' + this.elements.who.value">
<label for="who">Who</label> <input id="who" name="who">
<button id="send">Send</button></form></main></body></html>"""

# An image with no text alternative, and a form field with no label.
INACCESSIBLE = """<!doctype html><html lang="en"><head><title>Kit</title></head><body>
<main><h1>Kit</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input id="nameless"></main></body></html>"""


@pytest.fixture
async def browser(chromium: str, tmp_path: Path) -> AsyncIterator[Browser]:
    async with Browser(chromium, tmp_path / "profile") as browser:
        yield browser


async def test_the_keyboard_reaches_a_field_types_and_submits(browser: Browser) -> None:
    await browser.navigate("data:text/html," + quote(ACCESSIBLE))
    await browser.tab_to("el.id === 'who'")
    await browser.type_text("Aino")
    await browser.tab_to("el.id === 'send'")
    await browser.press("Enter")
    await browser.wait_for("document.title === 'sent Aino'")


async def test_the_accessibility_check_finds_violations_and_passes_clean_pages(
    browser: Browser, axe_script: str
) -> None:
    await browser.navigate("data:text/html," + quote(INACCESSIBLE))
    found = {v["id"] for v in await browser.accessibility_violations(axe_script)}
    assert {"image-alt", "label"} <= found

    await browser.navigate("data:text/html," + quote(ACCESSIBLE))
    assert await browser.accessibility_violations(axe_script) == []
