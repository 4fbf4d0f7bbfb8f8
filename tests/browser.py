"""A minimal Chrome DevTools Protocol driver for the browser tests (the consent page, GraphiQL):
headless Debian chromium, one page, navigate / evaluate / screenshot. No browser is downloaded;
the `chromium` fixture in tests/conftest.py installs Debian's when it is missing."""

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


class Browser:
    def __init__(
        self, executable: str, user_data_dir: Path, window_size: tuple[int, int] = (900, 1400)
    ) -> None:
        self.executable = executable
        self.user_data_dir = user_data_dir
        self.window_size = window_size
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

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
        port = await asyncio.to_thread(self._devtools_port)
        self._session = aiohttp.ClientSession()
        for _ in range(100):
            async with self._session.get(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [t for t in await response.json() if t["type"] == "page"]
            if pages:
                break
            await asyncio.sleep(0.05)
        self._ws = await self._session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        return self

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
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

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

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("location.href !== 'about:blank'")
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
