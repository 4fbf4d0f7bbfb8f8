"""How a citizen proves who they are: the `IdentityProvider` interface, and the test provider.

A national eID plugs in here: its `sign_in_url` starts the upstream flow, its routes receive
the upstream answer, and it calls `complete(request, authentication, return_to)`, which opens
the session and continues the authorization request. `auth/eid.py` does this for an OpenID
Connect eID (`AUTH_EID_ISSUER`), the only way to sign in in production.

`TestIdentityProvider` is TEST-ONLY: anyone can sign in as any seeded citizen by picking a
name. `create_app` mounts it only when `CITIZEN_ENV=development` and no eID is configured.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from auth.population import PopulationRegister, PopulationRegisterError
from auth.sessions import Authentication

CompleteSignIn = Callable[[Request, Authentication, str], Awaitable[Response]]

TEST_ACR = "urn:citizen-account:acr:test-only"


def safe_return_to(value: str | None) -> str:
    """Only paths on this server: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


class IdentityProvider(Protocol):
    name: str

    def sign_in_url(self, return_to: str) -> str: ...

    def routes(self, complete: CompleteSignIn) -> list[BaseRoute]: ...


class TestIdentityProvider:
    """TEST ONLY: sign in as a seeded citizen without any proof. Never enable in production."""

    name = "test"

    def __init__(self, register: PopulationRegister, templates: Jinja2Templates) -> None:
        self.register = register
        self.templates = templates

    def sign_in_url(self, return_to: str) -> str:
        return "/signin/test?" + urlencode({"return_to": return_to})

    def routes(self, complete: CompleteSignIn) -> list[BaseRoute]:
        async def page(request: Request) -> Response:
            return await self._page(request, safe_return_to(request.query_params.get("return_to")))

        async def submit(request: Request) -> Response:
            form = await request.form()
            return_to = safe_return_to(str(form.get("return_to", "/")))
            personal_id = str(form.get("personal_id", "")).strip()
            try:
                person = await self.register.person(personal_id) if personal_id else None
            except PopulationRegisterError:
                person = None
            if person is None:
                return await self._page(
                    request,
                    return_to,
                    error="No citizen with that personal identity code.",
                    status=400,
                )
            authentication = Authentication(
                personal_id=person.personal_id,
                acr=TEST_ACR,
                amr=("test",),
                auth_time=int(time.time()),
            )
            return await complete(request, authentication, return_to)

        return [
            Route("/signin/test", page, methods=["GET"]),
            Route("/signin/test", submit, methods=["POST"]),
        ]

    async def _page(
        self, request: Request, return_to: str, error: str = "", status: int = 200
    ) -> Response:
        try:
            citizens = await self.register.test_citizens(limit=30)
        except PopulationRegisterError:
            citizens = []
        return self.templates.TemplateResponse(
            request,
            "signin_test.html",
            {"citizens": citizens, "return_to": return_to, "error": error},
            status_code=status,
        )
