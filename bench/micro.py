"""Micro-benchmarks: what a request costs beyond the subgraph, and what plans cost.

Over HTTP, for every gateway (the runner calls these between its load runs):
- added latency: the one-fetch query from one client, median through the gateway minus median
  straight to the products subgraph with the same document (measured with the load generator);
- cold vs warm request: the large query under new operation names (each a new document, so a
  cold parse, validation and plan in every gateway, while the subgraphs answer from their memo)
  against the same document repeated; the difference estimates cold planning;
- plan memory: RSS growth after N distinct documents (the deep query under N operation names).

In process, ours only (`python -m bench micro`): cold planning time and cached lookup time
for the large query, and the resident memory of N cached plans of the deep query. These call gateway
internals through the one hook below, `_wire_gateway`.
"""

from __future__ import annotations

import gc
import http.client
import os
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench import procstat, queries

Prepare = Callable[[str, str], Any]
PlanPrepared = Callable[[Any], object]


class _Client:
    """One keep-alive connection timing whole requests."""

    def __init__(self, url: str, headers: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self._path = parts.path
        self._headers = {"content-type": "application/json", "accept": "application/json"}
        self._headers.update(headers or {})
        self._connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=60
        )

    def post(self, body: bytes) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self._connection.request("POST", self._path, body, self._headers)
        response = self._connection.getresponse()
        payload = response.read()
        return (time.perf_counter() - started) * 1e3, response.status, payload

    def close(self) -> None:
        self._connection.close()


def cold_and_warm(
    url: str, documents: int = 10, repeats: int = 5, headers: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Median first-request and repeat-request latency of the large query, in ms."""
    client = _Client(url, headers)
    try:
        query = queries.large()
        # Warm the subgraph memo for this gateway's fetches under one operation name.
        for _ in range(2):
            client.post(orjson.dumps({"query": query}))
        first: list[float] = []
        warm: list[float] = []
        stamp = time.time_ns()
        for n in range(documents):
            renamed = query.replace("query Large", f"query Large{stamp}x{n}", 1)
            body = orjson.dumps({"query": renamed})
            elapsed, status, payload = client.post(body)
            if status != 200 or b'"errors"' in payload:
                raise RuntimeError(f"large query failed ({status}): {payload[:300]!r}")
            first.append(elapsed)
            warm.extend(client.post(body)[0] for _ in range(repeats))
    finally:
        client.close()
    cold_ms, warm_ms = statistics.median(first), statistics.median(warm)
    return {
        "cold_request_ms": cold_ms,
        "warm_request_ms": warm_ms,
        "cold_extra_ms": cold_ms - warm_ms,
    }


def distinct_documents(
    url: str, count: int, headers: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Send the deep query under `count` operation names; the caller reads RSS around it."""
    client = _Client(url, headers)
    started = time.perf_counter()
    errors = 0
    try:
        for n in range(count):
            query = queries.DEEP.replace("query TestQuery", f"query Plan{n}", 1)
            _, status, payload = client.post(orjson.dumps({"query": query}))
            errors += status != 200 or b'"errors"' in payload
    finally:
        client.close()
    return {"documents": count, "seconds": time.perf_counter() - started, "errors": errors}


# In process, ours only.


def _wire_gateway(supergraph_sdl: str, cache_size: int) -> tuple[Prepare, PlanPrepared]:
    """HOOK: the only place that calls gateway internals. Two functions that do what a request
    does before it executes: `Gateway.prepare` (parse and validate, cached per document and
    operation name) and `Gateway.plan` (normalise and plan, cached per prepared document and
    @skip/@include values). Both caches are sized to hold every plan the benchmark makes."""
    from gateway.pipeline import Gateway
    from gateway.settings import GatewaySettings

    gateway = Gateway(supergraph_sdl, GatewaySettings(document_cache_size=cache_size))

    def plan(prepared: Any) -> object:
        return gateway.plan(prepared, {})

    return gateway.prepare, plan


def in_process(supergraph_sdl: str, plans: int) -> dict[str, Any]:
    """Cold and cached planning of the large query; resident memory of `plans` cached plans."""
    prepare, plan = _wire_gateway(supergraph_sdl, cache_size=plans + 100)
    query = queries.large()
    cold_prepare: list[float] = []
    cold_plan: list[float] = []
    for n in range(20):
        renamed = query.replace("query Large", f"query Large{n}", 1)
        started = time.perf_counter_ns()
        prepared = prepare(renamed, f"Large{n}")
        prepared_at = time.perf_counter_ns()
        plan(prepared)
        cold_prepare.append((prepared_at - started) / 1e6)
        cold_plan.append((time.perf_counter_ns() - prepared_at) / 1e6)

    plan(prepare(query, "Large"))
    lookups = 20_000
    started = time.perf_counter_ns()
    for _ in range(lookups):
        plan(prepare(query, "Large"))
    cached_us = (time.perf_counter_ns() - started) / 1e3 / lookups

    # Resident memory rather than tracemalloc: it is what an operator pays, and tracemalloc
    # would triple the time of 10,000 plans.
    gc.collect()
    rss_before = procstat.usage(os.getpid()).rss_mb
    began = time.perf_counter()
    for n in range(plans):
        name = f"Plan{n}"
        plan(prepare(queries.DEEP.replace("query TestQuery", f"query {name}", 1), name))
    elapsed = time.perf_counter() - began
    gc.collect()
    rss_after = procstat.usage(os.getpid()).rss_mb
    return {
        "cold_prepare_ms": statistics.median(cold_prepare),
        "cold_plan_ms": statistics.median(cold_plan),
        "cached_lookup_us": cached_us,
        "plans": plans,
        "plans_rss_growth_mb": rss_after - rss_before,
        "deep_cold_prepare_and_plan_ms": 1e3 * elapsed / plans if plans else None,
    }
