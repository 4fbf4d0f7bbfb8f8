"""Load generators: drive one request body at fixed concurrency for a fixed time.

Two interchangeable generators print the same `BENCH_RESULT {json}` line:
- wrk (C, one thread) with wrk.lua, installed from Debian by `ensure_wrk` when missing;
- a Python client (uvloop + httptools, one process, keep-alive connections), `python -m bench
  load`, for machines without wrk. It is slower than wrk, so it is the fallback.

Both close the loop per connection (a connection sends its next request when the previous
answer arrived) and count as errors: failed connections, non-200 answers, timeouts and 200
answers whose body has an "errors" key.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httptools
import orjson

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
_RESULT_PREFIX = "BENCH_RESULT "
_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class LoadResult:
    generator: str
    concurrency: int
    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class LoadError(Exception):
    """The load generator itself failed (not the gateway)."""


def taskset(cpus: str | None) -> list[str]:
    """The argv prefix that pins a command to `cpus`, or nothing where that is not possible."""
    if cpus is None or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", cpus]


def ensure_wrk(install: bool = True) -> str | None:
    """wrk's path, installing the Debian package when we are root; None when unavailable."""
    path = shutil.which("wrk")
    if path or not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return path
    print("installing wrk (apt-get install wrk)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        ["apt-get", "install", "-y", "-qq", "wrk"],
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "wrk"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        if done.returncode == 0 and command[1] == "install":
            break
    return shutil.which("wrk")


def parse_result(output: str, generator: str, concurrency: int) -> LoadResult:
    for line in output.splitlines():
        if line.startswith(_RESULT_PREFIX):
            raw: dict[str, Any] = orjson.loads(line[len(_RESULT_PREFIX) :])
            return LoadResult(
                generator=generator,
                concurrency=concurrency,
                requests=int(raw["requests"]),
                duration_s=float(raw["duration_s"]),
                p50_ms=float(raw["p50_ms"]),
                p95_ms=float(raw["p95_ms"]),
                p99_ms=float(raw["p99_ms"]),
                max_ms=float(raw["max_ms"]),
                errors={k: int(v) for k, v in raw["errors"].items() if v},
            )
    raise LoadError(f"{generator} printed no result:\n{output[-2000:]}")


def run_load(
    url: str,
    body_file: Path,
    *,
    concurrency: int,
    duration: float,
    generator: str,
    cpus: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """Drive `url` with the body in `body_file`, sending `headers` besides the JSON ones on
    every request; `generator` is "wrk" or "python"."""
    header_lines = [f"{name}: {value}" for name, value in (headers or {}).items()]
    if generator == "wrk":
        wrk = shutil.which("wrk")
        if wrk is None:
            raise LoadError("wrk is not installed")
        argv = [
            *taskset(cpus),
            wrk,
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={int(_TIMEOUT_SECONDS)}s",
            *(f"--header={line}" for line in header_lines),
            "-s",
            str(WRK_SCRIPT),
            url,
            "--",
            str(body_file),
        ]
    else:
        argv = [
            *taskset(cpus),
            sys.executable,
            "-m",
            "bench",
            "load",
            url,
            str(body_file),
            f"--concurrency={concurrency}",
            f"--duration={duration}",
            *(f"--header={line}" for line in header_lines),
        ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    if done.returncode != 0:
        raise LoadError(f"{argv[0]} exited with {done.returncode}: {done.stderr[-2000:]}")
    return parse_result(done.stdout, generator, concurrency)


# The Python client.


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending `request` again each time an answer completes."""

    def __init__(self, client: _Client) -> None:
        self._client = client
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._body: list[bytes] = []
        self._sent = 0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        self._body.clear()
        self._sent = time.perf_counter_ns()
        self._transport.write(self._client.request)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._client.errors["read"] += 1
            assert self._transport is not None
            self._transport.close()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        client = self._client
        if client.stopped:
            return
        client.latencies_ns.append(time.perf_counter_ns() - self._sent)
        if self._parser.get_status_code() != 200:
            client.errors["status"] += 1
        elif b'"errors"' in b"".join(self._body):
            client.errors["graphql"] += 1
        assert self._transport is not None
        if not self._parser.should_keep_alive():
            self._transport.close()
        else:
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Client:
    def __init__(self, url: str, body: bytes, header_lines: Sequence[str] = ()) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        extra = "".join(f"{line}\r\n" for line in header_lines)
        self.request = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.latencies_ns: list[int] = []
        self.errors = dict.fromkeys(("connect", "read", "status", "timeout", "graphql"), 0)
        self.stopped = False

    async def _worker(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopped:
            try:
                transport, connection = await loop.create_connection(
                    lambda: _Connection(self), self.host, self.port
                )
            except OSError:
                self.errors["connect"] += 1
                await asyncio.sleep(0.05)
                continue
            try:
                await connection.closed
            finally:
                transport.close()
            if not self.stopped:
                self.errors["read"] += 1

    async def run(self, concurrency: int, duration: float) -> dict[str, Any]:
        workers = [asyncio.create_task(self._worker()) for _ in range(concurrency)]
        started = time.perf_counter()
        await asyncio.sleep(duration)
        self.stopped = True
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        latencies = sorted(self.latencies_ns)
        return {
            "requests": len(latencies),
            "duration_s": elapsed,
            "p50_ms": _percentile(latencies, 50) / 1e6,
            "p95_ms": _percentile(latencies, 95) / 1e6,
            "p99_ms": _percentile(latencies, 99) / 1e6,
            "max_ms": (latencies[-1] if latencies else 0) / 1e6,
            "errors": self.errors,
        }


def _percentile(ordered: list[int], percent: float) -> float:
    if not ordered:
        return 0.0
    rank = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return float(ordered[rank])


def python_client_main(
    url: str, body_file: Path, concurrency: int, duration: float, header_lines: Sequence[str] = ()
) -> None:
    """`python -m bench load`: run the Python client and print its result line."""
    import uvloop  # comes with uvicorn[standard]

    client = _Client(url, body_file.read_bytes(), header_lines)
    result = uvloop.run(client.run(concurrency, duration))
    print(_RESULT_PREFIX + orjson.dumps(result).decode(), flush=True)
