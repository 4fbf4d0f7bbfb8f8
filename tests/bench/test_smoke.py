"""A few seconds of `python -m bench` against our gateway only: it must produce numbers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bench.runner import Config, run

ROOT = Path(__file__).resolve().parents[2]


def _free_base_port() -> int:
    """A base port whose subgraph ports (+1..+4) and gateway port (+10) are all free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 65000:
            continue
        ports = [base + n for n in (1, 2, 3, 4, 10)]
        if all(_free(port) for port in ports):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_smoke_run_of_our_gateway(tmp_path: Path) -> None:
    config = Config(
        gateways=["ours"],
        concurrency=4,
        duration=2.0,
        warmup=0.5,
        generator="python",
        base_port=_free_base_port(),
        micro=False,
        results_dir=tmp_path,
    )
    summary = run(config)

    (ours,) = summary["gateways"]
    assert ours["ok"], ours["reason"]
    load = ours["load"]
    assert load["requests"] > 0
    assert load["rps"] > 0
    assert 0 < load["p50_ms"] <= load["p99_ms"]
    assert load["error_count"] == 0, load["errors"]
    assert ours["cpu_s"] > 0
    assert ours["peak_rss_mb"] > 0
    assert (tmp_path / "results.json").exists()
    assert "ours (Python)" in (tmp_path / "results.md").read_text()


def test_client_comparison_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import http_clients

    assert http_clients.main([4], 200) == 0
    lines = capsys.readouterr().out.splitlines()
    measured = {line.split()[0] for line in lines[1:]}
    assert measured == {"aiohttp", "httpx"}
    assert all(float(line.split()[2]) > 0 for line in lines[1:])
