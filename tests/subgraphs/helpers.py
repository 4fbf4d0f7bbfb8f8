"""Helpers for agency tests: read a register directly, post GraphQL to an app in-process with
the identity token the gateway would send."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.subgraphs.gateway_tokens import Caller, TestGateway


def query_db(directory: Path, agency: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    connection = sqlite3.connect(directory / f"{agency}.sqlite3")
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def entities(*personal_ids: str) -> list[dict[str, str]]:
    return [{"__typename": "Citizen", "personalId": pid} for pid in personal_ids]


class Client:
    """Posts GraphQL to an agency app in-process, as the gateway would over HTTP.

    `identity` is whom the token speaks for: a personal id (the citizen's own token), a
    `Caller`, or None for an anonymous token; `token` replaces the token altogether.
    """

    def __init__(self, app: Starlette, gateway: TestGateway, audience: str) -> None:
        self.app = app
        self.gateway = gateway
        self.audience = audience

    def token(self, identity: str | Caller | None = None) -> str:
        caller = Caller(subject=identity) if isinstance(identity, str) else identity or Caller()
        return self.gateway.mint(self.audience, caller)

    async def request(
        self, method: str, path: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agency") as client:
            return await client.request(method, path, headers=headers, **kw)

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        identity: str | Caller | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        bearer = token if token is not None else self.token(identity)
        response = await self.request(
            "POST",
            "/graphql",
            {"authorization": f"Bearer {bearer}"},
            json={"query": query, "variables": variables or {}},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = await self.post(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]
