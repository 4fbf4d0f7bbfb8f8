"""Helpers for the auth tests: a real server on a real port, PKCE, and the browser-less
authorization dance a platform's user would perform."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette

from auth.clients import hash_secret
from auth.population import Person, write_population_file
from gateway.token_encryption import TokenDecryption

PLATFORM_SECRET = "bank-secret-for-tests-only"
GATEWAY_SECRET = "gateway-secret-for-tests-only"
PORTAL_SECRET = "portal-secret-for-tests-only"
BANK_REDIRECT = "https://bank.example/callback"

TODAY = date.today()


def years_ago(years: int, days: int = 0) -> date:
    try:
        born = TODAY.replace(year=TODAY.year - years)
    except ValueError:  # 29 February
        born = TODAY.replace(year=TODAY.year - years, day=28)
    return born - timedelta(days=days)


# Anna (parent) is guardian of Ben (10) and of Cara, who turned 18 yesterday.
PEOPLE = [
    Person("010180-111A", "Anna", "Virtanen", date(1980, 1, 1)),
    Person("020210-222B", "Ben", "Virtanen", years_ago(10)),
    Person("030300-333C", "Cara", "Virtanen", years_ago(18, days=1)),
    Person("040470-444D", "Dan", "Korhonen", date(1970, 4, 4)),
    Person("050575-555E", "Eva", "Korhonen", date(1975, 5, 5)),
]
ANNA, BEN, CARA, DAN, EVA = (p.personal_id for p in PEOPLE)
GUARDIANSHIPS = [(ANNA, BEN), (ANNA, CARA)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clients_config(extra_redirects: list[str] = ()) -> list[dict[str, Any]]:  # type: ignore[assignment]
    return [
        {
            "client_id": "bank",
            "client_name": "Example Bank",
            "redirect_uris": [BANK_REDIRECT, *extra_redirects],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": hash_secret(PLATFORM_SECRET),
            "purpose": "Check your income for a mortgage application",
            "data_categories": ["identity", "income", "address", "tax"],
        },
        {
            "client_id": "housing-app",
            "client_name": "Housing App",
            "redirect_uris": ["http://127.0.0.1/housing/callback"],
            "token_endpoint_auth_method": "none",
            "purpose": "Find you a rental flat",
            "data_categories": ["identity", "address", "income"],
        },
        {
            "client_id": "portal",
            "client_name": "Citizen portal",
            "redirect_uris": ["https://portal.example/callback"],
            "grant_types": [
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ],
            "token_endpoint_auth_method": "client_secret_post",
            "client_secret_sha256": hash_secret(PORTAL_SECRET),
            "purpose": "Your own citizen account",
            "data_categories": [
                "identity",
                "address",
                "family",
                "income",
                "tax",
                "benefits",
                "vehicles",
                "business",
            ],
            "first_party": True,
        },
        {
            "client_id": "gateway",
            "client_name": "Gateway",
            "redirect_uris": ["https://gateway.invalid/none"],
            "grant_types": [],
            "client_secret_sha256": hash_secret(GATEWAY_SECRET),
            "purpose": "Resource server",
            "data_categories": ["identity"],
            "resource_server": True,
        },
    ]


def write_fixtures(directory: Path, extra_redirects: list[str] = ()) -> tuple[Path, Path]:  # type: ignore[assignment]
    population = directory / "population.sqlite3"
    write_population_file(population, PEOPLE, GUARDIANSHIPS)
    clients = directory / "clients.json"
    clients.write_text(json.dumps(clients_config(list(extra_redirects))))
    return population, clients


@contextmanager
def serve(app: Starlette, port: int) -> Iterator[str]:
    """Run `app` under uvicorn in a thread on 127.0.0.1:port until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def citizen_data(categories: list[str], **extra: Any) -> str:
    return json.dumps(
        [{"type": "citizen_data", "datatypes": categories, "actions": ["read"], **extra}]
    )


def sign_in(http: httpx.Client, location: str, personal_id: str) -> httpx.Response:
    """Follow the redirect to the test identity provider and pick a person."""
    page = http.get(location)
    assert page.status_code == 200, page.text
    return_to = parse_qs(urlsplit(location).query)["return_to"][0]
    answer = http.post("/signin/test", data={"personal_id": personal_id, "return_to": return_to})
    assert answer.status_code == 303, answer.text
    return http.get(answer.headers["location"])


def request_id(html: str) -> str:
    match = re.search(r'name="request_id" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def authorize(
    http: httpx.Client,
    params: dict[str, str],
    personal_id: str,
    approve: list[str] | None,
    decision: str = "approve",
) -> dict[str, str]:
    """Run the front channel; returns the redirect's query parameters."""
    first = http.get("/authorize", params=params)
    if first.status_code == 303 and "/signin/test" in first.headers["location"]:
        page = sign_in(http, first.headers["location"], personal_id)
    else:
        page = first
    if page.status_code == 303:
        location = page.headers["location"]
    else:
        assert page.status_code == 200, page.text
        form = {
            "request_id": request_id(page.text),
            "decision": decision,
            "category": list(approve or []),
        }
        answer = http.post("/authorize", data=form)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    query["_location"] = location
    return query


def _part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    part += "=" * (-len(part) % 4)
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part))
    return data


def decode_unverified(token: str) -> dict[str, Any]:
    return _part(token, 1)


def decode_header(token: str) -> dict[str, Any]:
    return _part(token, 0)


def open_sealed(token: str, decryption: TokenDecryption) -> str:
    """The signed JWT inside a platform's access token, as the gateway opens it."""
    return decryption.open(token)


def gateway_claims(token: str, decryption: TokenDecryption) -> dict[str, Any]:
    """A platform's access token's claims as the gateway reads them (the platform cannot)."""
    return decode_unverified(open_sealed(token, decryption))
