"""Refreshing the citizen's access token, and signing them out when the refresh token is
refused. The portal is told to refresh 599 s before a 600 s token expires: every page a
second or more after sign-in refreshes first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from launcher.clients import PORTAL_CLIENT_ID, client_secret
from subgraphs.seed import demo_personal_id
from tests.launched import HOST, Launcher, running_platform
from tests.portal.browser import Browser, stored_sessions, text_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def eager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Launcher, Path]]:
    data_dir = tmp_path_factory.mktemp("portal-refresh").resolve()
    with running_platform(data_dir, PORTAL_REFRESH_MARGIN="599") as launcher:
        yield launcher, data_dir


def _tokens(data_dir: Path, citizen: str) -> dict[str, Any]:
    [tokens] = [s["tokens"] for s in stored_sessions(data_dir) if s.get("personal_id") == citizen]
    assert isinstance(tokens, dict)
    return tokens


def test_tokens_are_refreshed_and_a_refused_refresh_signs_out(
    eager: tuple[Launcher, Path],
) -> None:
    launcher, data_dir = eager
    citizen = str(demo_personal_id(data_dir))
    browser = Browser(launcher)
    try:
        browser.sign_in(citizen)
        before = _tokens(data_dir, citizen)
        time.sleep(1.5)
        page = browser.get("/information")
        assert page.status_code == 200 and "Earned income" in text_of(page.text)
        after = _tokens(data_dir, citizen)
        assert after["access_token"] != before["access_token"]
        assert after["refresh_token"] != before["refresh_token"]  # rotated by auth
        # The refresh token is revoked behind the portal's back: the next refresh is refused.
        revoked = httpx.post(
            launcher.service("auth").url(HOST, "/revoke"),
            data={"token": after["refresh_token"], "token_type_hint": "refresh_token"},
            auth=(PORTAL_CLIENT_ID, client_secret(data_dir, PORTAL_CLIENT_ID)),
            timeout=30,
        )
        assert revoked.status_code == 200
        time.sleep(1.5)
        out = browser.get("/family")
        assert out.url.path == "/" and out.url.params["notice"] == "expired"
        assert "You were signed out because your sign-in expired." in text_of(out.text)
        assert 'id="signin"' in out.text
        assert not [s for s in stored_sessions(data_dir) if s.get("personal_id") == citizen]
    finally:
        browser.close()
