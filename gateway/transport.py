"""Subgraph requests over HTTP: one keep-alive pool, per-subgraph timeouts, failures as values.

A request never raises: whatever goes wrong (refused connection, timeout, an HTTP error status,
a body that is not a GraphQL response) comes back as a SubgraphResponse holding errors in the
GraphQL shape, tagged with the subgraph's name, so the executor can keep the rest of the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from gateway.errors import GraphQLErrorDict, graphql_error

_JSON = "application/json"


@dataclass(slots=True)
class SubgraphResponse:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]
    # False when the request as a whole failed and `errors` holds the one gateway-made error.
    delivered: bool = True


class Transport:
    """Sends GraphQL requests to subgraphs; create inside a running event loop, then close()."""

    def __init__(
        self,
        *,
        timeout: float,
        timeouts: Mapping[str, float] | None = None,
        max_connections_per_subgraph: int = 128,
    ) -> None:
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})
        connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=max_connections_per_subgraph, ttl_dns_cache=300
        )
        self.session = aiohttp.ClientSession(
            connector=connector, json_serialize=lambda value: orjson.dumps(value).decode()
        )

    async def close(self) -> None:
        await self.session.close()

    async def send(
        self,
        service_name: str,
        url: str,
        body: dict[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> SubgraphResponse:
        timeout = self.timeouts.get(service_name, self.timeout)
        request_headers = {"content-type": _JSON, "accept": _JSON}
        if headers:
            request_headers.update(headers)
        try:
            async with self.session.post(
                url,
                data=orjson.dumps(body),
                headers=request_headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            return _failure(
                f"Subgraph '{service_name}' did not answer within {timeout:g}s.",
                "SUBREQUEST_TIMEOUT",
                service_name,
            )
        except (aiohttp.ClientError, OSError) as error:
            return _failure(
                f"Subgraph '{service_name}' could not be reached: {error or type(error).__name__}.",
                "SUBREQUEST_HTTP_ERROR",
                service_name,
            )
        except asyncio.CancelledError:
            raise
        return _read_response(service_name, status, raw)


def _read_response(service_name: str, status: int, raw: bytes) -> SubgraphResponse:
    try:
        payload = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        payload = None
    is_graphql = isinstance(payload, dict) and ("data" in payload or "errors" in payload)
    if status >= 300 and not (is_graphql and payload.get("errors")):  # type: ignore[union-attr]
        return _failure(
            f"Subgraph '{service_name}' answered HTTP {status}.",
            "SUBREQUEST_HTTP_ERROR",
            service_name,
            http={"status": status},
        )
    if not is_graphql:
        return _failure(
            f"Subgraph '{service_name}' answered with something that is not a GraphQL response.",
            "SUBREQUEST_MALFORMED_RESPONSE",
            service_name,
        )
    assert isinstance(payload, dict)
    data = payload.get("data")
    errors = payload.get("errors") or []
    if (data is not None and not isinstance(data, dict)) or not isinstance(errors, list):
        return _failure(
            f"Subgraph '{service_name}' answered a malformed GraphQL response.",
            "SUBREQUEST_MALFORMED_RESPONSE",
            service_name,
        )
    return SubgraphResponse(data, [_tag(e, service_name) for e in errors])


def _tag(error: Any, service_name: str) -> dict[str, Any]:
    """Keep the subgraph's own error, adding which subgraph it came from."""
    if not isinstance(error, dict):
        error = {"message": str(error)}
    extensions = error.get("extensions")
    extensions = dict(extensions) if isinstance(extensions, dict) else {}
    extensions.setdefault("code", "DOWNSTREAM_SERVICE_ERROR")
    extensions["serviceName"] = service_name
    tagged = {k: v for k, v in error.items() if k not in ("locations", "extensions")}
    tagged.setdefault("message", "Subgraph error")
    tagged["extensions"] = extensions
    return tagged


def _failure(message: str, code: str, service_name: str, **extensions: Any) -> SubgraphResponse:
    error: GraphQLErrorDict = graphql_error(
        message, code=code, serviceName=service_name, **extensions
    )
    return SubgraphResponse(None, [dict(error)], delivered=False)
