"""`python -m bench`: run every gateway under the same load, one after the other.

    subgraphs (one process, pinned with the load generator)
    for each gateway (pinned to its own core):
        start ─▶ ready ─▶ responses equal the oracle's ─▶ warm-up ─▶ timed load ─▶ micro ─▶ stop
    report: table, ratios, targets, results.json, results.md, bench.png

A gateway that is unavailable, fails to start or answers differently is a failed row with
its reason; the run goes on with the others.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import gateways, micro, oracle, procstat, queries, trust
from bench.load import LoadError, LoadResult, ensure_wrk, run_load, taskset

BENCH_DIR = Path(__file__).resolve().parent
SUPERGRAPH = BENCH_DIR / "supergraph.graphql"
SUBGRAPH_PORTS = {"accounts": 4201, "products": 4202, "reviews": 4203, "inventory": 4204}
ISSUER_PORT_OFFSET = 5  # the bench issuer (ours-auth, ours-logged) listens on base_port + 5


@dataclass
class Config:
    gateways: list[str] = field(default_factory=lambda: list(gateways.KEYS))
    concurrency: int = 100
    duration: float = 30.0
    warmup: float = 5.0
    generator: str = "auto"  # auto | wrk | python
    host: str = "127.0.0.1"
    base_port: int = 4200  # subgraphs on +1..+4, gateways from +10
    micro: bool = True
    micro_duration: float = 3.0
    plans: int = 10_000  # cached plans in process (ours)
    http_documents: int = 1_000  # distinct documents sent to every gateway
    results_dir: Path | None = None
    gateway_cpus: str | None = None  # None: chosen from the CPUs we may use
    load_cpus: str | None = None
    ready_timeout: float = 60.0


@dataclass
class GatewayRun:
    key: str
    label: str
    ok: bool = False
    reason: str = ""
    load: LoadResult | None = None
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    ready_s: float = 0.0
    subgraphs_cpu_s: float = 0.0
    subgraph_requests: int = 0
    # Requests the bench issuer answered during the timed load, per path, and the disclosure
    # records its log sink took (ours-auth, ours-logged):
    # the revocation polls show the revocation check was on.
    issuer_requests: dict[str, int] = field(default_factory=dict)
    micro: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        load = self.load
        return {
            "key": self.key,
            "label": self.label,
            "ok": self.ok,
            "reason": self.reason,
            "ready_s": self.ready_s,
            "cpu_s": self.cpu_s,
            "cpu_ms_per_request": 1e3 * self.cpu_s / load.requests
            if load and load.requests
            else None,
            "peak_rss_mb": self.peak_rss_mb,
            "subgraphs_cpu_s": self.subgraphs_cpu_s,
            "subgraph_requests": self.subgraph_requests,
            "subgraph_requests_per_request": (
                self.subgraph_requests / load.requests if load and load.requests else None
            ),
            "issuer_requests": self.issuer_requests,
            "load": None
            if load is None
            else {
                "generator": load.generator,
                "concurrency": load.concurrency,
                "requests": load.requests,
                "duration_s": load.duration_s,
                "rps": load.rps,
                "p50_ms": load.p50_ms,
                "p95_ms": load.p95_ms,
                "p99_ms": load.p99_ms,
                "max_ms": load.max_ms,
                "errors": load.errors,
                "error_count": load.error_count,
            },
            "micro": self.micro,
        }


def cpu_split(config: Config) -> tuple[str | None, str | None]:
    """Gateway on the first CPU we may use, load generator and subgraphs on the others."""
    if config.gateway_cpus or config.load_cpus:
        return config.gateway_cpus, config.load_cpus
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        print("warning: one CPU only; gateway and load generator are not pinned apart")
        return None, None
    return str(cpus[0]), ",".join(str(cpu) for cpu in cpus[1:])


def supergraph_for(config: Config, results: Path) -> tuple[Path, dict[str, int]]:
    """The committed supergraph, or a copy pointing at other ports when base_port moved."""
    ports = {name: config.base_port + 1 + n for n, name in enumerate(SUBGRAPH_PORTS)}
    if ports == SUBGRAPH_PORTS and config.host == "127.0.0.1":
        return SUPERGRAPH, ports
    text = SUPERGRAPH.read_text()
    for name, port in SUBGRAPH_PORTS.items():
        text = text.replace(
            f"http://127.0.0.1:{port}/graphql", f"http://{config.host}:{ports[name]}/graphql"
        )
    moved = results / "supergraph.graphql"
    moved.write_text(text)
    return moved, ports


def start_subgraphs(
    config: Config, ports: dict[str, int], cpus: str | None, log: Path
) -> subprocess.Popen[bytes]:
    for port in ports.values():
        if gateways.port_in_use(config.host, port):
            raise SystemExit(f"error: subgraph port {port} is in use (another bench running?)")
    argv = [
        *taskset(cpus),
        sys.executable,
        "-m",
        "bench",
        "subgraphs",
        "--host",
        config.host,
        *(f"{name}={port}" for name, port in ports.items()),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"error: subgraphs exited; see {log}")
        if all(gateways.port_in_use(config.host, port) for port in ports.values()):
            return process
        time.sleep(0.1)
    gateways.stop(process)
    raise SystemExit(f"error: subgraphs not listening after 30s; see {log}")


def _start_issuer(
    config: Config, supergraph: Path, results: Path, cpus: str | None
) -> tuple[subprocess.Popen[bytes], trust.Trust]:
    """The bench issuer (pinned with the load generator), its token and the secured
    supergraph, written next to the results."""
    port = config.base_port + ISSUER_PORT_OFFSET
    if gateways.port_in_use(config.host, port):
        raise SystemExit(f"error: issuer port {port} is in use (another bench running?)")
    secured = results / "supergraph-secured.graphql"
    secured.write_text(trust.secure(supergraph.read_text()))
    log = results / "issuer.log"
    argv = [
        *taskset(cpus),
        sys.executable,
        "-m",
        "bench",
        "issuer",
        "--host",
        config.host,
        "--port",
        str(port),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"error: the bench issuer exited; see {log}")
        ready = trust.ready_line(log.read_text(errors="replace"))
        if ready is not None:
            return process, trust.Trust(
                ready["issuer"],
                ready["token"],
                ready["unscoped_token"],
                secured,
                ready["log_secret"],
            )
        time.sleep(0.1)
    gateways.stop(process)
    raise SystemExit(f"error: the bench issuer not ready after 30s; see {log}")


def _issuer_requests(issuer: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{issuer}/stats", timeout=5) as response:
        counts: dict[str, int] = orjson.loads(response.read())
    return counts


def _subgraph_requests(host: str, ports: dict[str, int]) -> int:
    """Requests the subgraphs answered so far, summed over the four."""
    total = 0
    for port in ports.values():
        with urllib.request.urlopen(f"http://{host}:{port}/stats", timeout=5) as response:
            stats = orjson.loads(response.read())
        total += int(stats["hits"]) + int(stats["misses"])
    return total


def _first_difference(expected: Any, actual: Any, path: str = "$") -> str:
    if type(expected) is not type(actual):
        return f"{path}: expected {str(expected)[:80]}, got {str(actual)[:80]}"
    if isinstance(expected, dict):
        for key in expected.keys() | actual.keys():
            if key not in actual or key not in expected:
                return f"{path}.{key}: present in only one of expected/actual"
            if expected[key] != actual[key]:
                return _first_difference(expected[key], actual[key], f"{path}.{key}")
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for n, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{n}]")
    return f"{path}: expected {str(expected)[:80]}, got {str(actual)[:80]}"


def _check_responses(gateway: gateways.Gateway, checks: dict[str, bytes], results: Path) -> None:
    for name, body in checks.items():
        status, payload = gateways.post(gateway.url, body, headers=gateway.request_headers)
        (results / f"{gateway.key}-{name}.json").write_bytes(payload)
        if status != 200:
            raise gateways.GatewayFailure(f"{name} query: HTTP {status}: {payload[:300]!r}")
        try:
            actual = oracle.normalise(payload)
        except orjson.JSONDecodeError:
            raise gateways.GatewayFailure(f"{name} query: not JSON: {payload[:300]!r}") from None
        expected = oracle.expected(body)
        if actual != expected:
            raise gateways.GatewayFailure(
                f"{name} query: response differs from the expected one: "
                f"{_first_difference(expected, actual)}"
            )


UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


def _denied(
    gateway: gateways.Gateway, body: bytes, token: str | None, results: Path, name: str
) -> tuple[dict[str, Any], str]:
    """The answer to `body` with `token` (None: without one), which must be HTTP 200 with
    only authorization errors; the answer and why it is not right ("" when it is)."""
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    status, payload = gateways.post(gateway.url, body, headers=headers)
    (results / f"{gateway.key}-{name}.json").write_bytes(payload)
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        answer = None
    problem = f"HTTP {status}: {payload[:300]!r}"
    if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        return {}, problem
    errors = answer.get("errors") or []
    if not errors or any(e.get("extensions", {}).get("code") != UNAUTHORIZED for e in errors):
        return answer, problem
    return answer, ""


def _check_enforced(
    gateway: gateways.Gateway, trusted: trust.Trust, deep: bytes, results: Path
) -> None:
    """The variant must need its token: without one the deep query gets authorization errors
    and no data; with a valid token holding no scope, the users but none of their reviews;
    with a token signed by another key under the same kid, HTTP 401."""
    answer, problem = _denied(gateway, deep, None, results, "deep-anonymous")
    if problem or any(value is not None for value in answer["data"].values()):
        raise gateways.GatewayFailure(
            f"without a token the deep query should get {UNAUTHORIZED} errors and no data; "
            f"got {problem or answer}"
        )
    answer, problem = _denied(gateway, deep, trusted.unscoped_token, results, "deep-unscoped")
    users = answer.get("data", {}).get("users")
    if problem or not users or any(user.get("reviews") is not None for user in users):
        raise gateways.GatewayFailure(
            f"with a token without scopes the deep query should get the users, {UNAUTHORIZED} "
            f"errors and no reviews; got {problem or str(answer)[:300]}"
        )
    forged = {"authorization": f"Bearer {trust.forged(trusted.token)}"}
    status, payload = gateways.post(gateway.url, deep, headers=forged)
    if status != 401:
        raise gateways.GatewayFailure(
            f"a token with a forged signature should get HTTP 401; got {status}: {payload[:300]!r}"
        )


def _measure(
    gateway: gateways.Gateway,
    config: Config,
    results: Path,
    generator: str,
    cpus: tuple[str | None, str | None],
    bodies: dict[str, Path],
    direct: LoadResult | None,
    subgraphs_pid: int,
    subgraph_ports: dict[str, int],
    trusted: trust.Trust | None = None,
) -> GatewayRun:
    run = GatewayRun(key=gateway.key, label=gateway.label)
    gateway_cpus, load_cpus = cpus
    log = results / f"{gateway.key}.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        process = gateways.start(gateway, log, gateway_cpus)
        run.ready_s = gateways.wait_ready(gateway, process, log, config.ready_timeout)
        checks = {name: path.read_bytes() for name, path in bodies.items()}
        _check_responses(gateway, checks, results)
        if gateway.token is not None and trusted is not None:
            _check_enforced(gateway, trusted, checks["deep"], results)

        def load(body: Path, concurrency: int, duration: float) -> LoadResult:
            return run_load(
                gateway.url,
                body,
                concurrency=concurrency,
                duration=duration,
                generator=generator,
                cpus=load_cpus,
                headers=gateway.request_headers,
            )

        if config.warmup > 0:
            load(bodies["deep"], config.concurrency, config.warmup)
        before = procstat.usage(process.pid)
        subgraphs_before = procstat.usage(subgraphs_pid).cpu_s
        requests_before = _subgraph_requests(config.host, subgraph_ports)
        issuer = trusted.issuer if trusted and gateway.token else None
        issuer_before = _issuer_requests(issuer) if issuer else {}
        run.load = load(bodies["deep"], config.concurrency, config.duration)
        after = procstat.usage(process.pid)
        if issuer:
            issuer_after = _issuer_requests(issuer)
            run.issuer_requests = {
                path: count - issuer_before.get(path, 0) for path, count in issuer_after.items()
            }
        run.subgraphs_cpu_s = procstat.usage(subgraphs_pid).cpu_s - subgraphs_before
        run.subgraph_requests = _subgraph_requests(config.host, subgraph_ports) - requests_before
        run.cpu_s = after.cpu_s - before.cpu_s
        run.peak_rss_mb = after.peak_rss_mb
        if process.poll() is not None:
            raise gateways.GatewayFailure(f"exited with code {process.returncode} under load")
        run.ok = True
        if config.micro:
            _micro(run, gateway, process, config, load, bodies, direct)
    except gateways.GatewayFailure as failure:
        run.reason = str(failure)
    except LoadError as error:
        run.reason = f"load generator failed: {error}"
    except (OSError, RuntimeError, ValueError) as error:
        run.reason = f"{type(error).__name__}: {error}"
    finally:
        if process is not None:
            gateways.stop(process)
    return run


def _micro(
    run: GatewayRun,
    gateway: gateways.Gateway,
    process: subprocess.Popen[bytes],
    config: Config,
    load: Callable[[Path, int, float], LoadResult],
    bodies: dict[str, Path],
    direct: LoadResult | None,
) -> None:
    one = load(bodies["one_fetch"], 1, config.micro_duration)
    run.micro["one_fetch_p50_ms"] = one.p50_ms
    run.micro["one_fetch_p99_ms"] = one.p99_ms
    if direct is not None:
        run.micro["added_p50_ms"] = one.p50_ms - direct.p50_ms
    try:
        run.micro.update(micro.cold_and_warm(gateway.url, headers=gateway.request_headers))
    except (RuntimeError, OSError, http_errors()) as error:
        run.micro["cold_and_warm_error"] = str(error)
    if config.http_documents:
        rss_before = procstat.usage(process.pid).rss_mb
        sent = micro.distinct_documents(gateway.url, config.http_documents, gateway.request_headers)
        rss_after = procstat.usage(process.pid).rss_mb
        run.micro["distinct_documents"] = sent["documents"]
        run.micro["distinct_documents_s"] = sent["seconds"]
        run.micro["distinct_documents_errors"] = sent["errors"]
        run.micro["distinct_documents_rss_growth_mb"] = rss_after - rss_before
        run.micro["rss_after_distinct_documents_mb"] = rss_after


def http_errors() -> type[Exception]:
    import http.client

    return http.client.HTTPException


def _in_process_micro(config: Config, supergraph: Path, cpus: str | None) -> dict[str, Any]:
    argv = [
        *taskset(cpus),
        sys.executable,
        "-m",
        "bench",
        "micro",
        "--supergraph",
        str(supergraph),
        f"--plans={config.plans}",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        return {"skipped": f"python -m bench micro failed: {done.stderr.strip()[-500:]}"}
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(config: Config) -> dict[str, Any]:
    """Run the benchmark; returns what results.json holds."""
    from bench import report

    stamp = datetime.now(UTC)
    machine = report.machine()  # now: its load average is the one at the start
    results = config.results_dir or BENCH_DIR / "results" / stamp.strftime("%Y%m%dT%H%M%SZ")
    results.mkdir(parents=True, exist_ok=True)
    cpus = cpu_split(config)
    supergraph, ports = supergraph_for(config, results)

    generator = config.generator
    if generator in ("auto", "wrk"):
        found = ensure_wrk()
        if found is None and generator == "wrk":
            raise SystemExit("error: wrk is not installed and could not be installed")
        generator = "wrk" if found else "python"

    node_problem: str | None = None
    if any(key not in gateways.OURS for key in config.gateways):
        node_problem = gateways.prepare_node()
    unknown = [key for key in config.gateways if key not in gateways.KEYS]
    if unknown:
        raise ValueError(f"unknown gateway {unknown[0]!r}; known: {', '.join(gateways.KEYS)}")

    bodies = {
        "deep": results / "deep.json",
        "one_fetch": results / "one_fetch.json",
    }
    bodies["deep"].write_bytes(queries.body(queries.DEEP))
    bodies["one_fetch"].write_bytes(queries.body(queries.ONE_FETCH))

    print(
        f"bench: {len(config.gateways)} gateway(s), deep query, {config.concurrency} connections, "
        f"{config.warmup:g}s warm-up + {config.duration:g}s each, load generator {generator}, "
        f"gateway on CPU {cpus[0]}, load and subgraphs on CPU {cpus[1]}",
        flush=True,
    )
    subgraph_process = start_subgraphs(config, ports, cpus[1], results / "subgraphs.log")
    issuer_process: subprocess.Popen[bytes] | None = None
    runs: list[GatewayRun] = []
    in_process: dict[str, Any] = {}
    try:
        trusted: trust.Trust | None = None
        if {"ours-auth", "ours-logged"} & set(config.gateways):
            issuer_process, trusted = _start_issuer(config, supergraph, results, cpus[1])
        under_test = gateways.gateways(
            config.gateways, supergraph, config.host, config.base_port + 10, node_problem, trusted
        )
        direct: LoadResult | None = None
        if config.micro:
            direct_url = f"http://{config.host}:{ports['products']}/graphql"
            direct = run_load(
                direct_url,
                bodies["one_fetch"],
                concurrency=1,
                duration=config.micro_duration,
                generator=generator,
                cpus=cpus[1],
            )
        for gateway in under_test:
            print(f"  {gateway.label} ...", end=" ", flush=True)
            result = _measure(
                gateway,
                config,
                results,
                generator,
                cpus,
                bodies,
                direct,
                subgraph_process.pid,
                ports,
                trusted,
            )
            print("ok" if result.ok else "FAILED", flush=True)
            runs.append(result)
        if config.micro and "ours" in config.gateways:
            in_process = _in_process_micro(config, supergraph, cpus[0])
    finally:
        if issuer_process is not None:
            gateways.stop(issuer_process)
        gateways.stop(subgraph_process)

    summary = {
        "date": stamp.isoformat(timespec="seconds"),
        "command": " ".join(["python", "-m", "bench", *sys.argv[1:]]),
        "machine": machine,
        "config": {
            "concurrency": config.concurrency,
            "duration_s": config.duration,
            "warmup_s": config.warmup,
            "generator": generator,
            "gateway_cpus": cpus[0],
            "load_cpus": cpus[1],
            "query": "deep",
        },
        "direct_one_fetch_p50_ms": direct.p50_ms if direct else None,
        "gateways": [r.as_json() for r in runs],
        "in_process": in_process,
        "results_dir": str(results),
    }
    (results / "results.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    report.write(summary, results)
    return summary
