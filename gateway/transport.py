"""Subgraph requests over HTTP: one keep-alive pool, per-subgraph timeouts, failures as values.

A request never raises: whatever goes wrong (refused connection, timeout, an HTTP error status,
a body that is not a GraphQL response, a subgraph whose circuit is open) comes back as a
SubgraphResponse holding errors in the GraphQL shape, tagged with the subgraph's name, so the
executor can keep the rest of the data. Retries and circuit breakers: gateway/resilience.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from gateway.errors import (
    DOWNSTREAM_SERVICE_ERROR,
    SUBREQUEST_CIRCUIT_OPEN,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
    SUBREQUEST_TIMEOUT,
    GraphQLErrorDict,
    graphql_error,
)
from gateway.resilience import RETRYABLE_STATUSES, FaultPolicy, Guard
from gateway.tracing import TRACE_HEADERS

_log = logging.getLogger("gateway.transport")
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
        deduplicate: bool = True,
        faults: FaultPolicy | None = None,
    ) -> None:
        self.timeout = timeout
        self.faults = faults or FaultPolicy()
        self.guards: dict[str, Guard] = {}
        self.deduplicate = deduplicate
        self.timeouts = dict(timeouts or {})
        connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=max_connections_per_subgraph, ttl_dns_cache=300
        )
        self.session = aiohttp.ClientSession(
            connector=connector, json_serialize=lambda value: orjson.dumps(value).decode()
        )
        self._in_flight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...], str | None], asyncio.Future[Any]
        ] = {}

    async def close(self) -> None:
        await self.session.close()

    async def send(
        self,
        service_name: str,
        url: str,
        body: dict[str, Any],
        headers: Mapping[str, str] | None = None,
        *,
        deduplicate: bool = False,
        authorization: Callable[[], str] | None = None,
        share_key: str | None = None,
        retry: bool = False,
    ) -> SubgraphResponse:
        """POST one request. With `deduplicate` (safe for queries only), a request identical
        to one already in flight (same subgraph, body, headers and `share_key`) waits for
        that one's answer instead of being sent again; each caller still gets its own parsed
        copy. `authorization` makes the Authorization header, called only for a request that
        is really sent: the gateway's identity tokens differ per request (and cost a
        signature), so requests speaking for the same identity (`share_key`) share answers
        and a waiter signs nothing. With `retry` (queries only: a retried mutation could apply
        twice), failures that mean the request was not processed are retried."""
        payload = orjson.dumps(body)
        request_headers = {"content-type": _JSON, "accept": _JSON}
        if headers:
            request_headers.update(headers)
        if not (deduplicate and self.deduplicate):
            outcome = await self._post(
                service_name, url, payload, _authorized(request_headers, authorization), retry
            )
        else:
            key = (
                url,
                payload,
                tuple(sorted(h for h in request_headers.items() if h[0] not in TRACE_HEADERS)),
                share_key,
            )
            task = self._in_flight.get(key)
            if task is None:
                task = asyncio.ensure_future(
                    self._post(
                        service_name,
                        url,
                        payload,
                        _authorized(request_headers, authorization),
                        retry,
                    )
                )
                self._in_flight[key] = task
                task.add_done_callback(lambda _: self._in_flight.pop(key, None))
            # Shielded: one caller giving up must not cancel the answer the others wait for.
            outcome = await asyncio.shield(task)
        if isinstance(outcome, _Failure):
            return _failure(outcome.message, outcome.code, service_name, **outcome.extensions)
        return _read_response(service_name, *outcome)

    async def _post(
        self, service_name: str, url: str, payload: bytes, headers: dict[str, str], retry: bool
    ) -> tuple[int, bytes] | _Failure:
        guard = self.guards.get(service_name)
        if guard is None:
            guard = self.guards[service_name] = Guard(self.faults)
        breaker = guard.breaker
        if not breaker.allow():
            return _Failure(
                f"Subgraph '{service_name}' is unavailable: after repeated failures the gateway "
                f"is not sending it requests until it answers a probe again.",
                SUBREQUEST_CIRCUIT_OPEN,
            )
        guard.budget.deposit()
        attempt = 1
        while True:
            probing = breaker.open
            try:
                outcome, retryable = await self._attempt(service_name, url, payload, headers)
            except BaseException:
                if probing:
                    breaker.released()
                raise
            if isinstance(outcome, _Failure) or outcome[0] >= 500:
                breaker.failed()
            else:
                breaker.succeeded()
                return outcome
            if not (
                retry
                and retryable
                and attempt < self.faults.max_attempts
                and guard.budget.withdraw()
            ):
                return outcome
            await asyncio.sleep(self.faults.backoff(attempt))
            if not breaker.allow():
                return outcome
            attempt += 1

    async def _attempt(
        self, service_name: str, url: str, payload: bytes, headers: dict[str, str]
    ) -> tuple[tuple[int, bytes] | _Failure, bool]:
        """One POST, and whether a failure is safe to retry (the request was not processed)."""
        timeout = self.timeouts.get(service_name, self.timeout)
        try:
            async with self.session.post(
                url, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                status = response.status
                return (status, await response.read()), status in RETRYABLE_STATUSES
        except TimeoutError:
            failure = _Failure(
                f"Subgraph '{service_name}' did not answer within {timeout:g}s.",
                SUBREQUEST_TIMEOUT,
            )
            return failure, False
        except (aiohttp.ClientError, OSError) as error:
            # aiohttp's text names the subgraph's host and port: for the operator, not clients.
            _log.warning("subgraph %r at %s could not be reached: %r", service_name, url, error)
            failure = _Failure(
                f"Subgraph '{service_name}' could not be reached.", SUBREQUEST_HTTP_ERROR
            )
            return failure, True


def _authorized(headers: dict[str, str], authorization: Callable[[], str] | None) -> dict[str, str]:
    if authorization is not None:
        headers["authorization"] = authorization()
    return headers


@dataclass(frozen=True, slots=True)
class _Failure:
    message: str
    code: str
    extensions: dict[str, Any] = field(default_factory=dict)


def _read_response(service_name: str, status: int, raw: bytes) -> SubgraphResponse:
    try:
        payload = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        payload = None
    is_graphql = isinstance(payload, dict) and ("data" in payload or "errors" in payload)
    if status >= 300 and not (is_graphql and payload.get("errors")):  # type: ignore[union-attr]
        return _failure(
            f"Subgraph '{service_name}' answered HTTP {status}.",
            SUBREQUEST_HTTP_ERROR,
            service_name,
            http={"status": status},
        )
    if not is_graphql:
        return _failure(
            f"Subgraph '{service_name}' answered with something that is not a GraphQL response.",
            SUBREQUEST_MALFORMED_RESPONSE,
            service_name,
        )
    assert isinstance(payload, dict)
    data = payload.get("data")
    errors = payload.get("errors") or []
    if (data is not None and not isinstance(data, dict)) or not isinstance(errors, list):
        return _failure(
            f"Subgraph '{service_name}' answered a malformed GraphQL response.",
            SUBREQUEST_MALFORMED_RESPONSE,
            service_name,
        )
    return SubgraphResponse(data, [_tag(e, service_name) for e in errors])


def _tag(error: Any, service_name: str) -> dict[str, Any]:
    """Keep the subgraph's own error, adding which subgraph it came from."""
    if not isinstance(error, dict):
        error = {"message": str(error)}
    extensions = error.get("extensions")
    extensions = dict(extensions) if isinstance(extensions, dict) else {}
    extensions.setdefault("code", DOWNSTREAM_SERVICE_ERROR)
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
