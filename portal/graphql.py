"""The portal's GraphQL documents (`portal/graphql/<Name>.graphql`, one named operation each)
and the one way it calls the gateway: POST with the session's bearer token.

Every document is validated against the composed supergraph's API schema by a test, so a
schema change that breaks a page fails CI rather than a citizen's visit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from graphql import OperationDefinitionNode, parse

DOCUMENTS = Path(__file__).parent / "graphql"


def load_documents(directory: Path = DOCUMENTS) -> dict[str, str]:
    """Operation name to document text; a file must hold exactly one operation of its name."""
    documents = {}
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text()
        operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        names = [o.name.value if o.name else None for o in operations]
        assert names == [path.stem], f"{path}: one operation named {path.stem}, found {names}"
        documents[path.stem] = text
    return documents


class GatewayUnavailable(Exception):
    """The gateway did not answer with GraphQL (down, overloaded, or refusing everything)."""


class TokenRejected(Exception):
    """The gateway answered 401: the token is no longer good (revoked, expired)."""


@dataclass(frozen=True)
class Result:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def refused(self, *path: str | int) -> dict[str, Any] | None:
        """The first error at `path` or below it: what came back instead of that field."""
        for error in self.errors:
            at = error.get("path") or []
            if tuple(at[: len(path)]) == path:
                return error
        return None

    @property
    def me(self) -> dict[str, Any] | None:
        me = (self.data or {}).get("me")
        return me if isinstance(me, dict) else None


class Gateway:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http
        self.documents = load_documents()

    async def run(self, operation: str, token: str, **variables: Any) -> Result:
        body = {
            "query": self.documents[operation],
            "operationName": operation,
            "variables": {k: v for k, v in variables.items() if v is not None},
        }
        headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        try:
            async with self.http.post(self.url, json=body, headers=headers) as response:
                if response.status == 401:
                    raise TokenRejected(response.headers.get("www-authenticate", ""))
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise GatewayUnavailable(str(error)) from None
        if not isinstance(answer, dict) or ("data" not in answer and "errors" not in answer):
            raise GatewayUnavailable(f"HTTP {response.status} without a GraphQL answer")
        data = answer.get("data")
        errors = answer.get("errors") or []
        return Result(data if isinstance(data, dict) else None, list(errors))
