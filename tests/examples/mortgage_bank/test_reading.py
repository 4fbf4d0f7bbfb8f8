"""What the bank does when a read or a refresh is refused, against an in-process stand-in for
the citizen account's token endpoint and gateway, each answering as scripted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from examples.mortgage_bank.oauth import Tokens
from examples.mortgage_bank.reading import Reader
from examples.mortgage_bank.registration import Credentials, Provider
from examples.mortgage_bank.sessions import SessionStore
from tests.auth.support import free_port, serve

FIGURES = {"data": {"me": {"name": {"given": "Aino", "family": "Laine"}, "income": None}}}


def refused(description: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    body = {"errors": [{"message": description, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return 401, body, {"www-authenticate": challenge}


def issued(access: str, refresh: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {"access_token": access, "refresh_token": refresh, "expires_in": 600}
    return 200, body, {}


INVALID_GRANT = (400, {"error": "invalid_grant"}, {})
READ = (200, FIGURES, {})


@dataclass
class CitizenAccount:
    """Answers each request with the next scripted answer; keeps what it was sent."""

    token_answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    gateway_answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    grants: list[dict[str, str]] = field(default_factory=list)
    bearers: list[str] = field(default_factory=list)

    async def token(self, request: Request) -> Response:
        self.grants.append({k: str(v) for k, v in (await request.form()).items()})
        status, body, headers = self.token_answers.pop(0)
        return JSONResponse(body, status, headers)

    async def graphql(self, request: Request) -> Response:
        self.bearers.append(request.headers["authorization"].removeprefix("Bearer "))
        status, body, headers = self.gateway_answers.pop(0)
        return JSONResponse(body, status, headers)


@pytest.fixture
def account() -> Iterator[tuple[CitizenAccount, str]]:
    fake = CitizenAccount()
    app = Starlette(
        routes=[
            Route("/token", fake.token, methods=["POST"]),
            Route("/graphql", fake.graphql, methods=["POST"]),
        ]
    )
    with serve(app, free_port()) as url:
        yield fake, url


@dataclass
class Run:
    lost: list[bool] = field(default_factory=list)


async def read(
    url: str, tokens: Tokens, force_refresh: bool = False, gateway: str | None = None
) -> tuple[Any, Run]:
    session = SessionStore().new()
    session.tokens = tokens
    run = Run()
    provider = Provider(url, f"{url}/authorize", f"{url}/token", f"{url}/jwks", "", "")
    credentials = Credentials("bank", "secret", url, "http://bank/callback")
    async with aiohttp.ClientSession() as http:
        reader = Reader(
            http,
            provider,
            credentials,
            gateway or f"{url}/graphql",
            60.0,
            lambda: run.lost.append(True),
        )
        await reader.read(session, force_refresh)
    return session, run


def tokens(access: str = "a1", refresh: str | None = "r1", left: float = 600) -> Tokens:
    return Tokens(access, refresh, time.time() + left, ("identity",))


async def test_a_revoked_token_that_cannot_be_refreshed_is_a_withdrawn_consent(
    account: tuple[CitizenAccount, str],
) -> None:
    fake, url = account
    fake.gateway_answers = [refused("the token has been revoked")]
    fake.token_answers = [INVALID_GRANT]
    session, _ = await read(url, tokens())
    assert session.problem == "withdrawn"
    assert session.tokens is None and session.figures is None
    assert fake.grants == [{"grant_type": "refresh_token", "refresh_token": "r1"}]


async def test_a_refresh_refused_while_the_access_token_is_still_good_is_a_withdrawal(
    account: tuple[CitizenAccount, str],
) -> None:
    """ "Refresh figures" refreshes first: the gateway, which may not have heard of the
    withdrawal yet, is never asked."""
    fake, url = account
    fake.token_answers = [INVALID_GRANT]
    session, _ = await read(url, tokens(), force_refresh=True)
    assert session.problem == "withdrawn" and fake.bearers == []


async def test_a_grant_that_ran_out_is_told_apart(account: tuple[CitizenAccount, str]) -> None:
    """An access token already run out and its refresh refused: the consent ended on its own."""
    fake, url = account
    fake.token_answers = [INVALID_GRANT]
    session, _ = await read(url, tokens(left=-5))
    assert session.problem == "expired" and session.tokens is None
    # Refreshed ahead (due within the margin) and refused: the gateway was not asked.
    assert fake.bearers == []


async def test_an_expired_access_token_is_refreshed_and_the_new_pair_kept(
    account: tuple[CitizenAccount, str],
) -> None:
    fake, url = account
    fake.gateway_answers = [refused("the token has expired"), READ]
    fake.token_answers = [issued("a2", "r2")]
    session, _ = await read(url, tokens())
    assert session.problem is None and session.figures is not None
    assert session.figures.given_name == "Aino"
    assert fake.bearers == ["a1", "a2"]
    assert session.tokens is not None
    assert (session.tokens.access_token, session.tokens.refresh_token) == ("a2", "r2")
    # What the citizen granted is kept when a refresh answer does not repeat it.
    assert session.tokens.granted == ("identity",)


async def test_a_token_about_to_expire_is_refreshed_before_the_read(
    account: tuple[CitizenAccount, str],
) -> None:
    fake, url = account
    fake.token_answers = [issued("a2", "r2")]
    fake.gateway_answers = [READ]
    session, _ = await read(url, tokens(left=30))
    assert fake.bearers == ["a2"] and session.figures is not None


async def test_an_unreachable_gateway_keeps_the_tokens_and_says_so(
    account: tuple[CitizenAccount, str],
) -> None:
    _, url = account
    nowhere = f"http://127.0.0.1:{free_port()}/graphql"
    session, _ = await read(url, tokens(), gateway=nowhere)
    assert session.problem == "unavailable"
    assert session.tokens is not None and session.tokens.access_token == "a1"


async def test_a_gateway_error_is_unavailability_not_a_refusal(
    account: tuple[CitizenAccount, str],
) -> None:
    fake, url = account
    fake.gateway_answers = [(503, {"errors": [{"message": "overloaded"}]}, {})]
    session, _ = await read(url, tokens())
    assert session.problem == "unavailable" and session.tokens is not None


async def test_credentials_the_issuer_no_longer_knows_are_reported(
    account: tuple[CitizenAccount, str],
) -> None:
    fake, url = account
    fake.token_answers = [(401, {"error": "invalid_client"}, {})]
    session, run = await read(url, tokens(), force_refresh=True)
    assert run.lost == [True] and session.tokens is None
