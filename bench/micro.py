"""Micro-benchmarks: what a request costs beyond the subgraph, and what plans cost.

Over HTTP, for every gateway (the runner calls these between its load runs):
- added latency: the one-fetch query from one client, median through the gateway minus median
  straight to the products subgraph with the same document (measured with the load generator);
- cold vs warm request: the large query under new operation names (each a new document, so a
  cold parse, validation and plan in every gateway, while the subgraphs answer from their memo)
  against the same document repeated; the difference estimates cold planning;
- plan memory: RSS growth after N distinct documents (the deep query under N operation names).

In process, ours only (`python -m bench micro`): cold planning time and cached lookup time
for the large query, and the memory of N cached plans (tracemalloc). These call gateway
internals through the one hook below, `_wire_gateway`.
"""

from __future__ import annotations

import gc
import http.client
import importlib
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench import queries

Plan = Callable[[str, str], object]


class _Client:
    """One keep-alive connection timing whole requests."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._path = parts.path
        self._connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=60
        )

    def post(self, body: bytes) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self._connection.request(
            "POST",
            self._path,
            body,
            {"content-type": "application/json", "accept": "application/json"},
        )
        response = self._connection.getresponse()
        payload = response.read()
        return (time.perf_counter() - started) * 1e3, response.status, payload

    def close(self) -> None:
        self._connection.close()


def cold_and_warm(url: str, documents: int = 10, repeats: int = 5) -> dict[str, float]:
    """Median first-request and repeat-request latency of the large query, in ms."""
    client = _Client(url)
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


def distinct_documents(url: str, count: int) -> dict[str, float]:
    """Send the deep query under `count` operation names; the caller reads RSS around it."""
    client = _Client(url)
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


def _wire_gateway(supergraph_sdl: str) -> Plan | str:
    """HOOK: the only place that calls gateway internals. A function planning (query,
    operation name) through the gateway's plan cache, or why there is none yet.

    Wired to the names the lead announced: `gateway.supergraph.parse_supergraph(sdl)` and a
    `Gateway` holding the plan cache. Looked up by name so the bench type-checks whatever
    else the gateway exposes; adjust the three names below when they settle.
    """
    try:
        supergraph_module = importlib.import_module("gateway.supergraph")
        gateway_module = importlib.import_module("gateway.app")
    except ImportError as error:
        return f"not wired: {error}"
    parse_supergraph: Any = getattr(supergraph_module, "parse_supergraph", None)
    gateway_class: Any = getattr(gateway_module, "Gateway", None)
    if parse_supergraph is None or gateway_class is None:
        return "not wired: gateway.supergraph.parse_supergraph or gateway.app.Gateway missing"
    gateway = gateway_class(parse_supergraph(supergraph_sdl))
    plan_method = getattr(gateway, "plan", None)
    if plan_method is None:
        return "not wired: Gateway has no plan(query, operation_name, variables) method"

    def plan(query: str, operation_name: str) -> object:
        return plan_method(query, operation_name, {})

    return plan


def in_process(supergraph_sdl: str, plans: int) -> dict[str, Any]:
    """Cold planning and cached lookup of the large query; memory of `plans` cached plans."""
    plan = _wire_gateway(supergraph_sdl)
    if isinstance(plan, str):
        return {"skipped": plan}
    query = queries.large()
    cold: list[float] = []
    for n in range(20):
        renamed = query.replace("query Large", f"query Large{n}", 1)
        started = time.perf_counter_ns()
        plan(renamed, f"Large{n}")
        cold.append((time.perf_counter_ns() - started) / 1e3)
    plan(query, "Large")
    lookups = 20_000
    started = time.perf_counter_ns()
    for _ in range(lookups):
        plan(query, "Large")
    cached_us = (time.perf_counter_ns() - started) / 1e3 / lookups

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for n in range(plans):
        plan(queries.DEEP.replace("query TestQuery", f"query Plan{n}", 1), f"Plan{n}")
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return {
        "cold_plan_ms": statistics.median(cold) / 1e3,
        "cached_lookup_us": cached_us,
        "plans": plans,
        "plans_memory_mb": grown / 2**20,
    }
