"""`python -m bench overload` and its open-loop generator, in seconds.

The generator keeps its schedule whatever the server does: against a server that never
answers, every scheduled request is still offered (a closed loop would stop at one per
connection) and each ends as a timeout. The overload command, run briefly at twice our
gateway's capacity, reports every number the README quotes."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import arrivals
from bench.overload import OverloadConfig, describe, run


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        yield listener.getsockname()[1]


def test_requests_arrive_on_schedule_even_when_nothing_is_answered(silent_server: int) -> None:
    target = arrivals.Target.post(f"http://127.0.0.1:{silent_server}/graphql", b"{}")
    result = asyncio.run(
        arrivals.run(target, rate=40, duration=1.0, request_timeout=0.5, recovery_limit_s=0.3)
    )
    assert result["offered"] == 40
    assert result["accepted"] == 0
    assert result["statuses"] == {}
    assert result["failures"] == {"timeout": 40}
    assert result["healthy_after_s"] is None
    assert result["first_probe_status"] == 0
    assert result["peak_connections"] > 1


def _free_base_port() -> int:
    """A base port whose subgraph ports (+1..+4) and gateway port (+10) are free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base < 65000 and all(_free(base + n) for n in (1, 2, 3, 4, 10)):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_short_overload_run_reports_every_figure(tmp_path: Path) -> None:
    config = OverloadConfig(
        factor=2.0,
        duration=1.0,
        capacity_duration=1.0,
        capacity_concurrency=4,
        warmup=0.0,
        base_port=_free_base_port(),
        results_dir=tmp_path,
    )
    summary = run(config)

    assert summary["capacity_rps"] > 0
    assert summary["offered"] == int(summary["rate"] * 1.0)
    assert summary["accepted"] > 0
    assert summary["unexpected_statuses"] == {}
    assert summary["other_503"] == {}
    assert summary["graphql_errors_in_200"] == 0
    assert 0 < summary["accepted_p50_ms"] <= summary["accepted_p99_ms"]
    assert summary["rss_before_mb"] > 0 and summary["rss_after_mb"] > 0
    assert summary["gateway_cpu_s"] > 0
    assert summary["gateway_alive"] and summary["status_after"] == 200
    # Right after the overload the first probe may still be shed (503 SERVICE_OVERLOADED, the
    # only 503 allowed above); the gateway is prompt again soon after.
    assert summary["first_probe_status"] in (200, 503)
    assert summary["healthy_after_s"] is not None
    assert (tmp_path / "results.json").exists()
    assert "accepted (200):" in describe(summary)
