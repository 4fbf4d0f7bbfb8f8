"""The load generators and the gateway launcher, against the subgraph server (no gateway)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import gateways, queries
from bench.load import run_load


@pytest.fixture(scope="module")
def products_url() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", "subgraphs", f"products={port}"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not gateways.port_in_use("127.0.0.1", port):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        gateways.stop(process)


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "one_fetch.json"
    path.write_bytes(queries.body(queries.ONE_FETCH))
    return path


def test_python_load_generator_counts_requests_and_latency(
    products_url: str, body_file: Path
) -> None:
    result = run_load(products_url, body_file, concurrency=2, duration=0.5, generator="python")
    assert result.requests > 10
    assert result.error_count == 0
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms


def test_python_load_generator_counts_graphql_errors(products_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(queries.body("{ nope }"))
    result = run_load(products_url, bad, concurrency=1, duration=0.3, generator="python")
    assert result.requests > 0
    assert result.errors == {"graphql": result.requests}


def test_wrk_reports_the_same_fields(products_url: str, body_file: Path) -> None:
    result = run_load(products_url, body_file, concurrency=2, duration=1, generator="wrk")
    assert result.requests > 10
    assert result.error_count == 0
    assert 0 < result.p50_ms <= result.p99_ms


def test_a_gateway_that_exits_is_a_reported_failure(tmp_path: Path) -> None:
    gateway = gateways.Gateway(
        key="broken",
        label="broken",
        argv=(sys.executable, "-c", "import sys; print('no supergraph'); sys.exit(3)"),
        port=1,
    )
    log = tmp_path / "broken.log"
    process = gateways.start(gateway, log, cpus=None)
    with pytest.raises(gateways.GatewayFailure, match="exited with code 3") as failure:
        gateways.wait_ready(gateway, process, log, timeout=20)
    assert "no supergraph" in str(failure.value)
