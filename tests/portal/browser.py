"""A browser without JavaScript, as the portal must work for: an HTTP client that keeps
cookies, follows redirects, reads forms and submits them (CSRF token included)."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.launched import HOST, Launcher

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def text_of(page: str) -> str:
    """The words of the page's <main>, as a screen reader would read them out."""
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main))).strip()


class Browser:
    def __init__(self, launcher: Launcher) -> None:
        self.portal = launcher.service("portal").url(HOST, "")
        self.auth = launcher.service("auth").url(HOST, "")
        self.http = httpx.Client(base_url=self.portal, follow_redirects=True, timeout=60)
        self.seen: list[httpx.Response] = []

    def close(self) -> None:
        self.http.close()

    def _keep(self, response: httpx.Response) -> httpx.Response:
        self.seen.extend([*response.history, response])
        return response

    def get(self, path: str, **params: str) -> httpx.Response:
        return self._keep(self.http.get(path, params=params))

    def submit(self, page: str, action: str, **fields: Any) -> httpx.Response:
        """POST a form of the page at `page` with its CSRF token, as pressing its button."""
        token = _CSRF.search(self.get(page).text)
        assert token is not None, f"no form with a CSRF token on {page}"
        return self._keep(self.http.post(action, data={"csrf_token": token.group(1), **fields}))

    def sign_in(self, personal_id: str) -> httpx.Response:
        """Start page ─▶ auth ─▶ a test sign-in (a form): auth's own in development, the
        stand-in eID's in production ─▶ back to the portal."""
        page = self.get("/signin")
        assert page.url.path == "/signin/test", page.url
        return_to = re.search(r'name="return_to" value="([^"]+)"', page.text)
        assert return_to is not None
        return self._keep(
            self.http.post(
                page.url.copy_with(query=None),
                data={"personal_id": personal_id, "return_to": html.unescape(return_to.group(1))},
            )
        )


def stored_sessions(data_dir: Path) -> list[dict[str, Any]]:
    """What the portal keeps server-side (the test looks; the browser never can)."""
    with sqlite3.connect(data_dir / "portal" / "sessions.sqlite3") as connection:
        rows = connection.execute("SELECT data FROM sessions").fetchall()
    return [json.loads(row[0]) for row in rows]
