"""Helpers for agency tests: read a register directly, post GraphQL to an app in-process."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette


def query_db(directory: Path, agency: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    connection = sqlite3.connect(directory / f"{agency}.sqlite3")
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


class Client:
    """Posts GraphQL to an agency app in-process, as the gateway would over HTTP."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        identity: str | None = None,
    ) -> dict[str, Any]:
        headers = {"x-citizen-dev-identity": identity} if identity is not None else {}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agency") as client:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = await self.post(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]
