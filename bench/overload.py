"""`python -m bench overload`: our gateway offered four times what it can serve, open loop.

    bench subgraphs (CPU 1) ─ our gateway (CPU 0, GATEWAY_* from --gateway-env)
    warm-up ─▶ capacity: closed-loop clients on the deep query, requests per second
            ─▶ RSS before ─▶ `factor` x capacity for `duration` s, open loop (bench/arrivals.py)
            ─▶ how soon a normal query is answered within 50 ms ─▶ RSS after
    report: offered, accepted (200), shed (503 SERVICE_OVERLOADED), every other status or
    failure (there should be none), p50/p99 of the accepted from when each was due

A gateway that sheds load answers the excess at once and keeps the accepted fast; one that
does not queues everything, and every client waits.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import arrivals, gateways, procstat, queries, runner
from bench.load import run_load, taskset


@dataclass
class OverloadConfig:
    factor: float = 4.0
    duration: float = 60.0
    capacity_duration: float = 10.0
    capacity_concurrency: int = 50
    warmup: float = 3.0
    max_connections: int = 4000
    base_port: int = 4300  # subgraphs on +1..+4, the gateway on +10
    gateway_env: dict[str, str] = field(default_factory=dict)
    results_dir: Path | None = None


def run(config: OverloadConfig) -> dict[str, Any]:
    """Run the measurement; returns what results.json holds."""
    stamp = datetime.now(UTC)
    load_average = os.getloadavg()[0]
    results = config.results_dir or (
        runner.BENCH_DIR / "results" / f"overload-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    )
    results.mkdir(parents=True, exist_ok=True)
    bench = runner.Config(base_port=config.base_port)
    gateway_cpus, load_cpus = runner.cpu_split(bench)
    supergraph, ports = runner.supergraph_for(bench, results)
    body = results / "deep.json"
    body.write_bytes(queries.body(queries.DEEP))
    subgraphs = runner.start_subgraphs(bench, ports, load_cpus, results / "subgraphs.log")
    try:
        (ours,) = gateways.gateways(["ours"], supergraph, bench.host, config.base_port + 10, None)
        gateway = replace(ours, env=config.gateway_env)
        log = results / "gateway.log"
        process = gateways.start(gateway, log, gateway_cpus)
        try:
            gateways.wait_ready(gateway, process, log, timeout=60)
            measured = _measure(config, gateway, process, body, load_cpus)
        finally:
            gateways.stop(process)
    finally:
        gateways.stop(subgraphs)
    summary = {
        "date": stamp.isoformat(timespec="seconds"),
        "command": " ".join(["python", "-m", "bench", *sys.argv[1:]]),
        "load_average_at_start": round(load_average, 2),
        "gateway_env": config.gateway_env,
        "gateway_cpus": gateway_cpus,
        "load_cpus": load_cpus,
        **measured,
        "results_dir": str(results),
    }
    (results / "results.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def _measure(
    config: OverloadConfig,
    gateway: gateways.Gateway,
    process: subprocess.Popen[bytes],
    body: Path,
    load_cpus: str | None,
) -> dict[str, Any]:
    def closed_loop(duration: float) -> float:
        return run_load(
            gateway.url,
            body,
            concurrency=config.capacity_concurrency,
            duration=duration,
            generator="python",
            cpus=load_cpus,
        ).rps

    if config.warmup > 0:
        closed_loop(config.warmup)
    capacity = closed_loop(config.capacity_duration)
    before = procstat.usage(process.pid)
    rate = config.factor * capacity
    argv = [
        *taskset(load_cpus),
        sys.executable,
        "-m",
        "bench",
        "arrivals",
        gateway.url,
        str(body),
        f"--rate={rate:.1f}",
        f"--duration={config.duration}",
        f"--max-connections={config.max_connections}",
    ]
    generator = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    peak_rss = before.rss_mb
    while generator.poll() is None:
        if process.poll() is None:
            peak_rss = max(peak_rss, procstat.usage(process.pid).rss_mb)
        time.sleep(1.0)
    output = generator.stdout.read() if generator.stdout else ""
    if generator.returncode != 0:
        raise RuntimeError(f"the arrivals generator exited with {generator.returncode}")
    offered = arrivals.parse_result(output)
    alive = process.poll() is None
    after = procstat.usage(process.pid) if alive else procstat.Usage(0.0, 0.0, 0.0)
    status, _ = gateways.post(gateway.url, body.read_bytes()) if alive else (0, b"")
    unexpected = {s: n for s, n in offered["statuses"].items() if s not in ("200", "503")}
    return {
        "capacity_rps": round(capacity, 1),
        "factor": config.factor,
        **offered,
        "unexpected_statuses": unexpected,
        "rss_before_mb": round(before.rss_mb, 1),
        "rss_peak_mb": round(peak_rss, 1),
        "rss_after_mb": round(after.rss_mb, 1),
        # The gateway's CPU over the open-loop phase: how much of it went into answers that
        # arrived in time.
        "gateway_cpu_s": round(after.cpu_s - before.cpu_s, 1),
        "gateway_alive": alive,
        "status_after": status,
    }


def describe(summary: dict[str, Any]) -> str:
    s = summary
    failures = ", ".join(f"{k} {v:,}" for k, v in s["failures"].items()) or "none"
    unexpected = ", ".join(f"HTTP {k}: {v:,}" for k, v in s["unexpected_statuses"].items())
    other_503 = ", ".join(f"{k}: {v:,}" for k, v in s["other_503"].items())
    healthy = s["healthy_after_s"]
    return "\n".join(
        [
            f"capacity (closed loop, deep query): {s['capacity_rps']:,} RPS",
            f"offered {s['factor']:g}x = {s['rate']:,.0f}/s for {s['duration_s']} s: "
            f"{s['offered']:,} requests",
            f"accepted (200): {s['accepted']:,}   shed (503 {arrivals.SHED_CODE}): {s['shed']:,}",
            f"other statuses: {unexpected or 'none'}; other 503s: {other_503 or 'none'}; "
            f"200 with errors: {s['graphql_errors_in_200']:,}",
            f"not answered: {failures}",
            f"accepted latency from when due: p50 {s['accepted_p50_ms']:,} ms, "
            f"p99 {s['accepted_p99_ms']:,} ms, max {s['accepted_max_ms']:,} ms",
            f"gateway RSS: before {s['rss_before_mb']} MB, peak {s['rss_peak_mb']} MB, "
            f"after {s['rss_after_mb']} MB; gateway CPU meanwhile {s['gateway_cpu_s']} s",
            f"right after: first query HTTP {s['first_probe_status']} in "
            f"{s['first_probe_ms']:,} ms; answered within 50 ms "
            + (f"after {healthy} s" if healthy is not None else "NOT within 30 s"),
            f"peak client connections {s['peak_connections']:,}; generator fell behind its "
            f"schedule by {s['generator_max_lag_ms']} ms at most",
        ]
    )


def main(config: OverloadConfig) -> int:
    summary = run(config)
    print(describe(summary), flush=True)
    print(f"results: {summary['results_dir']}/results.json")
    clean = not summary["unexpected_statuses"] and not summary["other_503"]
    return 0 if clean and summary["gateway_alive"] and summary["status_after"] == 200 else 1
