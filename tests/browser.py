"""A minimal Chrome DevTools Protocol driver for the browser tests (the consent page, GraphiQL):
headless Debian chromium, its first tab and any window a page opens (a sign-in popup),
navigate / evaluate / screenshot, the keyboard (Tab, Enter, Space, typing) and
axe-core's accessibility check. No browser is downloaded; the `chromium` fixture in
tests/conftest.py installs Debian's when it is missing."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]


# Run in every document before its own scripts: what a test asserts never happened.
_RECORD_ERRORS = """
window.__pageErrors = [];
addEventListener("error", (e) => __pageErrors.push("error: " + e.message));
addEventListener("unhandledrejection", (e) => __pageErrors.push("rejection: " + e.reason));
document.addEventListener("securitypolicyviolation", (e) =>
  __pageErrors.push("csp: " + e.violatedDirective + " " + e.blockedURI));
"""


# key -> (code, text it types, Windows virtual key code)
_KEYS = {
    "Tab": ("Tab", "", 9),
    "Enter": ("Enter", "\r", 13),
    "Space": ("Space", " ", 32),
    "Escape": ("Escape", "", 27),
    "ArrowDown": ("ArrowDown", "", 40),
    "ArrowUp": ("ArrowUp", "", 38),
}


class Page:
    """One tab or window, over its own DevTools connection."""

    def __init__(self) -> None:
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    async def _attach(self, session: aiohttp.ClientSession, debugger_url: str) -> None:
        self._ws = await session.ws_connect(debugger_url, max_msg_size=0)
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=_RECORD_ERRORS)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        message_id = next(self._ids)
        await self._ws.send_str(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = await asyncio.wait_for(self._ws.receive(), timeout=30)
            data = json.loads(message.data)
            if data.get("id") == message_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                result: dict[str, Any] = data.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def evaluate_async(self, expression: str) -> Any:
        """The value a promise-returning expression resolves to."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "evaluation failed"))
        return result["result"].get("value")

    async def press(self, key: str, shift: bool = False) -> None:
        """One key, down and up, as the keyboard sends it: `Tab`, `Enter`, `Space`, ..."""
        code, text, virtual = _KEYS[key]
        modifiers = 8 if shift else 0
        down: dict[str, Any] = {"key": code if key != "Space" else " ", "code": code}
        down.update(windowsVirtualKeyCode=virtual, nativeVirtualKeyCode=virtual)
        await self.send(
            "Input.dispatchKeyEvent", type="keyDown", text=text, modifiers=modifiers, **down
        )
        await self.send("Input.dispatchKeyEvent", type="keyUp", modifiers=modifiers, **down)

    async def type_text(self, text: str) -> None:
        """Text typed into whatever has the focus."""
        await self.send("Input.insertText", text=text)

    async def tab_to(self, matches: str, presses: int = 80) -> None:
        """Press Tab until the focused element satisfies `matches`, a JavaScript expression over
        `el` (the focused element): the only way a keyboard user reaches a control."""
        for _ in range(presses):
            await self.press("Tab")
            if await self.evaluate(f"(el => !!el && ({matches}))(document.activeElement)"):
                return
        raise TimeoutError(f"{presses} presses of Tab never focused {matches}")

    async def accessibility_violations(self, axe_script: str) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.2 A and AA violations in the current document, each with its rule,
        impact and the elements concerned."""
        if not await self.evaluate("typeof axe === 'object'"):
            await self.evaluate(axe_script)
        violations: list[dict[str, Any]] = await self.evaluate_async(
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
            "nodes: v.nodes.map(n => n.target.join(' '))})))"
        )
        return violations

    async def click(self, selector: str) -> None:
        """Click as a user does: with a user gesture, which a page needs to open a window."""
        await self.send(
            "Runtime.evaluate",
            expression=f"document.querySelector({json.dumps(selector)}).click()",
            userGesture=True,
        )

    async def click_at(self, selector: str) -> None:
        """Click as a mouse does: pressed and released over the middle of the element, scrolled
        into view first."""
        x, y = await self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            "el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect();"
            "return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("location.href !== 'about:blank'")
        await self.wait_loaded()

    async def reload(self) -> None:
        await self.evaluate("window.__beforeReload = true")
        await self.send("Page.reload")
        await self.wait_for("window.__beforeReload === undefined")
        await self.wait_loaded()

    async def wait_for(self, expression: str, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if await self.evaluate(expression):
                    return
            except RuntimeError:
                pass  # the page is between documents
            await asyncio.sleep(0.05)
        raise TimeoutError(expression)

    async def wait_loaded(self) -> None:
        await self.wait_for("document.readyState === 'complete'")

    async def click_and_wait(self, selector: str, next_url_part: str) -> None:
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        await self.wait_for(f"location.href.includes({json.dumps(next_url_part)})")
        await self.wait_loaded()

    async def screenshot(self, path: Path) -> None:
        data = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        await asyncio.to_thread(path.write_bytes, base64.b64decode(data["data"]))

    async def errors(self) -> list[str]:
        """Uncaught errors, unhandled rejections and CSP violations in the current document."""
        errors: list[str] = await self.evaluate("window.__pageErrors")
        return errors


class Browser(Page):
    """Chromium with its first tab, which the Browser itself drives."""

    def __init__(
        self, executable: str, user_data_dir: Path, window_size: tuple[int, int] = (900, 1400)
    ) -> None:
        super().__init__()
        self.executable = executable
        self.user_data_dir = user_data_dir
        self.window_size = window_size
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0
        self._targets: set[str] = set()
        self._pages: list[Page] = [self]

    async def __aenter__(self) -> Browser:
        self._process = await asyncio.to_thread(
            subprocess.Popen,
            [
                self.executable,
                *FLAGS,
                "--window-size={},{}".format(*self.window_size),
                f"--user-data-dir={self.user_data_dir}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._port = await asyncio.to_thread(self._devtools_port)
        self._session = aiohttp.ClientSession()
        for _ in range(100):
            pages = await self._page_targets()
            if pages:
                break
            await asyncio.sleep(0.05)
        self._targets.add(pages[0]["id"])
        await self._attach(self._session, pages[0]["webSocketDebuggerUrl"])
        return self

    async def _page_targets(self) -> list[dict[str, Any]]:
        assert self._session is not None
        async with self._session.get(f"http://127.0.0.1:{self._port}/json/list") as response:
            return [t for t in await response.json() if t["type"] == "page"]

    async def new_window(self, seconds: float = 15) -> Page:
        """The next window a page opens (window.open), once it has left about:blank."""
        assert self._session is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for target in await self._page_targets():
                if target["id"] not in self._targets and target["url"] != "about:blank":
                    self._targets.add(target["id"])
                    page = Page()
                    await page._attach(self._session, target["webSocketDebuggerUrl"])
                    self._pages.append(page)
                    await page.wait_loaded()
                    return page
            await asyncio.sleep(0.05)
        raise TimeoutError("no new window opened")

    async def wait_for_windows(self, count: int, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while len(await self._page_targets()) != count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"not {count} windows after {seconds}s")
            await asyncio.sleep(0.05)

    def _devtools_port(self) -> int:
        assert self._process is not None and self._process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._process.stderr.readline().decode(errors="replace")
            match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if match:
                return int(match.group(1))
            if not line and self._process.poll() is not None:
                break
        raise RuntimeError("chromium did not start its DevTools endpoint")

    async def __aexit__(self, *_: object) -> None:
        for page in self._pages:
            await page.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
