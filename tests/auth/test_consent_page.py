"""The consent page in headless Chromium: sign in, read the page, approve a subset, and see
the platform receive a token for exactly that subset."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from auth.app import create_app
from tests.auth.conftest import gateway_trust, make_settings
from tests.auth.support import ANNA, PLATFORM_SECRET, Pkce, citizen_data, free_port, serve
from tests.browser import Browser
from tests.subgraphs.gateway_tokens import TestGateway

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def bank_flow(
    chromium: str, tmp_path: Path, gateway: TestGateway, **extra: str
) -> AsyncIterator[Browser]:
    """A browser at the bank's authorization request (with `extra` parameters), signed in as
    Anna on the test sign-in page; the bank's callback shows the scope it was given."""
    auth_port, platform_port = free_port(), free_port()
    callback = f"http://127.0.0.1:{platform_port}/callback"
    auth_url = f"http://127.0.0.1:{auth_port}"
    pkce = Pkce.new()

    async def platform_callback(request: Request) -> HTMLResponse:
        """What a platform does on return: exchange the code, show what it may now see."""
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{auth_url}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": request.query_params["code"],
                    "redirect_uri": callback,
                    "code_verifier": pkce.verifier,
                },
                auth=("bank", PLATFORM_SECRET),
            )
        scope = answer.json().get("scope", "")
        return HTMLResponse(f"<h1>Bank received access</h1><p id='scope'>{scope}</p>")

    platform = Starlette(routes=[Route("/callback", platform_callback)])
    settings = make_settings(tmp_path, auth_port, extra_redirects=[callback])
    params = {
        "response_type": "code",
        "client_id": "bank",
        "redirect_uri": callback,
        "state": "xyz",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, auth_port), serve(platform, platform_port):
        async with Browser(chromium, tmp_path / "chromium-profile") as page:
            await page.navigate(f"{auth_url}/authorize?{urlencode(params)}")
            assert "/signin/test" in await page.evaluate("location.pathname")
            assert "Test sign-in" in await page.evaluate("document.body.innerText")
            await page.click_and_wait(f'button[value="{ANNA}"]', "/authorize")
            yield page


async def test_approve_a_subset_in_chromium(
    chromium: str, tmp_path: Path, gateway: TestGateway
) -> None:
    shots = Path(os.environ.get("AUTH_SCREENSHOTS", tmp_path))
    details = citizen_data(["identity", "income", "address"], purpose="Mortgage application")
    async with bank_flow(chromium, tmp_path, gateway, authorization_details=details) as page:
        text = await page.evaluate("document.body.innerText")
        await page.screenshot(shots / "consent-page.png")
        assert "Example Bank is asking to see some of your information" in text
        assert "Mortgage application" in text and "Anna Virtanen" in text
        for word in ("Identity", "Income", "Address", "Until"):
            assert word in text
        # Nothing is pre-ticked; every box has a label (accessible names).
        assert await page.evaluate(
            "[...document.querySelectorAll('input[type=checkbox]')].every(b => !b.checked"
            ' && document.querySelector(`label[for="${b.id}"]`))'
        )
        assert await page.evaluate("document.documentElement.lang") == "en"
        assert await page.evaluate("document.scripts.length") == 0

        await page.evaluate("document.getElementById('category-income').click()")
        await page.evaluate("document.getElementById('category-identity').click()")
        await page.click_and_wait('button[value="approve"]', "/callback")

        await page.screenshot(shots / "platform-result.png")
        scope = await page.evaluate("document.getElementById('scope').innerText")
        assert set(scope.split()) == {"identity:read", "income:read"}


async def test_a_sign_in_only_request_says_the_platform_learns_who_you_are_and_nothing_else(
    chromium: str, tmp_path: Path, gateway: TestGateway
) -> None:
    async with bank_flow(chromium, tmp_path, gateway, scope="openid") as page:
        text = await page.evaluate("document.body.innerText")
        assert "Example Bank is asking to know who you are" in text
        assert "nothing else" in text
        assert "Tick what" not in text and "access log" not in text
        assert await page.evaluate("document.querySelectorAll('input[type=checkbox]').length") == 0
        await page.click_and_wait('button[value="approve"]', "/callback")
        assert await page.evaluate("document.getElementById('scope').innerText") == "openid"
