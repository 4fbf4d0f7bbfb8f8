"""Liveness, readiness and shutdown: `/health` answers while the process lives; `/ready` is 200
only when every dependency the configuration needs is in reach (the issuer's keys, a fresh
revocation feed, each Redis store) and otherwise 503 naming what is missing; on SIGTERM
`python -m gateway` lets the requests in flight finish before it exits (fixtures/operations)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer
from tests.gateway.kit.subgraph import Fault

pytestmark = pytest.mark.skipif(REFERENCE, reason="readiness is this gateway's own")

TOPIC = "operations"
QUERY = '{ item(id: "1") { name stars } }'


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def dependencies(issuer: TestIssuer) -> Iterator[Federation]:
    settings = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{issuer.url}/revocations",
        "rate_limit_per_ip": 10_000,
        "ratelimit_redis_url": "redis://127.0.0.1:6379/0",
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        yield fed


@pytest.fixture(scope="module")
def unreachable() -> Iterator[Federation]:
    nowhere = f"http://127.0.0.1:{_closed_port()}"
    settings = {
        "issuer": nowhere,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{nowhere}/revocations",
        "revocation_max_staleness": 1,
        "rate_limit_per_ip": 10_000,
        "ratelimit_redis_url": f"redis://127.0.0.1:{_closed_port()}/0",
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        yield fed


async def test_a_gateway_with_nothing_to_wait_for_is_ready(gw: GatewayClient) -> None:
    response = await gw.request("GET", "/ready")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"supergraph": "ok"}}


async def test_every_configured_dependency_in_reach_is_ready(dependencies: Federation) -> None:
    response = await dependencies.gateway.request("GET", "/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {
        "supergraph": "ok",
        "issuer_keys": "ok",
        "revocations": "ok",
        "redis:rate_limits": "ok",
    }


async def test_what_is_out_of_reach_makes_it_not_ready_and_is_named(
    unreachable: Federation,
) -> None:
    await asyncio.sleep(1.2)  # past the revocation feed's allowed staleness
    response = await unreachable.gateway.request("GET", "/ready")
    assert response.status_code == 503
    report = response.json()
    assert report["ready"] is False
    checks = report["checks"]
    assert checks["supergraph"] == "ok"
    assert "fetched" in checks["issuer_keys"]
    assert "no revocation feed" in checks["revocations"]
    assert checks["redis:rate_limits"].startswith("unreachable")
    # Alive all the same: an orchestrator must not restart it for what it waits on.
    assert (await unreachable.gateway.request("GET", "/health")).status_code == 200


def test_sigterm_lets_the_request_in_flight_finish(fed: Federation, tmp_path: Path) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fed.supergraph)
    port = _closed_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "--supergraph", str(supergraph), "--port", str(port)],
        env={**os.environ, "GATEWAY_SHUTDOWN_GRACE": "10"},
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.1)
        for subgraph in fed.subgraphs.values():
            subgraph.fault = Fault.slow(1.5)

        async def in_flight_then_sigterm() -> httpx.Response:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                request = asyncio.ensure_future(client.post("/graphql", json={"query": QUERY}))
                await asyncio.sleep(0.5)
                process.send_signal(signal.SIGTERM)
                return await request

        response = asyncio.run(in_flight_then_sigterm())
        assert response.status_code == 200
        assert response.json() == {"data": {"item": {"name": "apple", "stars": 4}}}
        # Drained, uvicorn ends by the signal it was sent, as an orchestrator expects.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
