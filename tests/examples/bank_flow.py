"""Driving the mortgage bank example as a citizen would, over real HTTP with a cookie-keeping
client: apply, sign in at the test sign-in (auth's own, or the stand-in eID's in production),
tick categories on the consent page and come back."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.launched import HOST, Launcher

PURPOSE = "Mortgage application: check your identity and income"


@dataclass
class Platform:
    launcher: Launcher
    data_dir: Path

    @property
    def bank(self) -> str:
        return self.launcher.service("mortgage_bank").url(HOST)

    @property
    def gateway(self) -> str:
        return self.launcher.service("gateway").url(HOST)

    def registration(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(
            (self.data_dir / "mortgage-bank" / "registration.json").read_text()
        )
        return data

    def auth_db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data_dir / "auth.sqlite3")

    def as_citizen(self, personal_id: str, query: str, **variables: Any) -> dict[str, Any]:
        """The gateway as the citizen themselves (the development identity)."""
        answer = httpx.post(
            self.gateway,
            json={"query": query, "variables": variables},
            headers={"x-citizen-dev-identity": personal_id},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        return body


def applicant(data_dir: Path) -> tuple[str, int, str, str, str]:
    """A living citizen with income: personal id, the latest year with income and its total
    (euros, two decimals) as the tax agency holds it, and their given and family names."""
    tax = sqlite3.connect(data_dir / "tax.sqlite3")
    population = sqlite3.connect(data_dir / "population.sqlite3")
    try:
        for personal_id, year, cents in tax.execute(
            "SELECT personal_id, year, SUM(amount_cents) FROM income i WHERE year = "
            "(SELECT MAX(year) FROM income WHERE personal_id = i.personal_id) "
            "GROUP BY personal_id ORDER BY personal_id"
        ):
            person = population.execute(
                "SELECT given_name, family_name FROM person "
                "WHERE personal_id = ? AND date_of_death IS NULL",
                (personal_id,),
            ).fetchone()
            if person:
                return personal_id, year, f"{cents / 100:.2f}", person[0], person[1]
    finally:
        tax.close()
        population.close()
    raise AssertionError("no living citizen with income in the seed")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def redirected(http: httpx.Client, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return http.get(urljoin(str(response.url), response.headers["location"]))


def settle(http: httpx.Client, response: httpx.Response, bank: str) -> httpx.Response:
    """Follow redirects to the next page, stopping before one that goes back to the bank."""
    while response.status_code in (302, 303):
        if urljoin(str(response.url), response.headers["location"]).startswith(bank):
            break
        response = redirected(http, response)
    return response


def share(
    platform: Platform,
    http: httpx.Client,
    personal_id: str,
    ticked: list[str],
    decision: str = "approve",
) -> httpx.Response:
    """The citizen applies at the bank, signs in at the citizen account, ticks `ticked` on the
    consent page, allows (or refuses) and comes back; returns the bank's callback's answer."""
    start = http.get(platform.bank)
    assert start.status_code == 200 and 'id="share-data"' in start.text
    to_authorize = http.post(urljoin(platform.bank, "/share"), data={"csrf": csrf(start.text)})
    assert to_authorize.status_code == 303, to_authorize.text
    asked = query_of(to_authorize.headers["location"])
    assert asked["client_id"] == platform.registration()["client_id"]
    assert asked["code_challenge_method"] == "S256" and asked["state"] and asked["nonce"]
    assert json.loads(asked["authorization_details"]) == [
        {
            "type": "citizen_data",
            "datatypes": ["identity", "income"],
            "actions": ["read"],
            "purpose": PURPOSE,
            "recurrence": "recurring",
        }
    ]
    # The test sign-in: the auth server's own in development, the stand-in eID's in production.
    sign_in = settle(http, http.get(to_authorize.headers["location"]), platform.bank)
    assert sign_in.status_code == 200 and "Sign in as a test citizen" in sign_in.text
    signed_in = http.post(
        str(sign_in.url).split("?")[0],
        data={"personal_id": personal_id, "return_to": query_of(str(sign_in.url))["return_to"]},
    )
    consent = settle(http, signed_in, platform.bank)
    assert consent.status_code == 200 and "Mortgage bank (example)" in consent.text
    assert PURPOSE in consent.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', consent.text)
    assert request_id
    approved = http.post(
        str(consent.url).split("?")[0],
        data={"request_id": request_id.group(1), "decision": decision, "category": ticked},
    )
    back = redirected(http, approved)
    assert str(back.request.url).startswith(urljoin(platform.bank, "/callback"))
    return back


def element(html: str, element_id: str) -> str | None:
    """The text inside the element with this id (no nesting of the same tag assumed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(2))).strip() if match else None


def post_form(http: httpx.Client, platform: Platform, path: str, page: str) -> httpx.Response:
    return redirected(http, http.post(urljoin(platform.bank, path), data={"csrf": csrf(page)}))
