"""The applicant's figures, read through the citizen account's GraphQL gateway with the access
token: their name and income, or which of them the citizen did not share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp

QUERY = """query MortgageApplication {
  me {
    name { given family }
    income { year total bySource { source payer amount } }
  }
}"""
# The category each top-level field of `me` belongs to, as the schema's scopes say.
FIELD_CATEGORIES = {"name": "identity", "income": "income"}
_TIMEOUT = aiohttp.ClientTimeout(total=15)


class ReadRefused(Exception):
    """HTTP 401: the gateway did not accept the access token."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    @property
    def revoked(self) -> bool:
        return "revoked" in self.description


class GatewayUnavailable(Exception):
    pass


@dataclass(frozen=True)
class IncomeItem:
    source: str
    payer: str
    amount: Decimal


@dataclass(frozen=True)
class Income:
    year: int
    total: Decimal
    items: tuple[IncomeItem, ...]


@dataclass(frozen=True)
class Figures:
    given_name: str | None
    family_name: str | None
    income: Income | None
    not_shared: frozenset[str]  # categories the gateway refused: the citizen did not allow them
    read_at: float


async def read_figures(http: aiohttp.ClientSession, url: str, access_token: str) -> Figures:
    headers = {"authorization": f"Bearer {access_token}"}
    try:
        async with http.post(
            url, json={"query": QUERY}, headers=headers, timeout=_TIMEOUT
        ) as answer:
            status = answer.status
            challenge = answer.headers.get("www-authenticate", "")
            body = await answer.json(content_type=None) if status in (200, 401) else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise GatewayUnavailable(str(error)) from None
    if status == 401:
        raise ReadRefused(_description(challenge, body))
    if status != 200 or not isinstance(body, dict):
        raise GatewayUnavailable(f"the gateway answered {status}")
    return parse(body, time.time())


def _description(challenge: str, body: Any) -> str:
    # RFC 6750 §3: the challenge names the error; the gateway's body says which check failed.
    errors = body.get("errors") if isinstance(body, dict) else None
    messages = [str(e.get("message", "")) for e in errors or [] if isinstance(e, dict)]
    return " ".join([challenge, *messages])


def parse(body: dict[str, Any], read_at: float) -> Figures:
    data = body.get("data")
    me = data.get("me") if isinstance(data, dict) else None
    if not isinstance(me, dict):
        raise GatewayUnavailable(f"the gateway answered no applicant: {body.get('errors')}")
    not_shared = frozenset(
        FIELD_CATEGORIES[path[1]]
        for error in body.get("errors") or []
        if isinstance(error, dict)
        and (error.get("extensions") or {}).get("code") == "UNAUTHORIZED_FIELD_OR_TYPE"
        and isinstance(path := error.get("path"), list)
        and path[:1] == ["me"]
        and len(path) > 1
        and path[1] in FIELD_CATEGORIES
    )
    name = me.get("name")
    name = name if isinstance(name, dict) else {}
    return Figures(
        given_name=name.get("given"),
        family_name=name.get("family"),
        income=_income(me.get("income")),
        not_shared=not_shared,
        read_at=read_at,
    )


def _income(value: Any) -> Income | None:
    if not isinstance(value, dict):
        return None
    try:
        items = tuple(
            IncomeItem(str(item["source"]), str(item["payer"]), Decimal(str(item["amount"])))
            for item in value.get("bySource") or []
        )
        return Income(int(value["year"]), Decimal(str(value["total"])), items)
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise GatewayUnavailable(f"the gateway answered an unreadable income: {error}") from None
