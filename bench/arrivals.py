"""An open-loop load generator: requests arrive on a fixed schedule, whether or not the
earlier ones were answered (`python -m bench arrivals`, run by `python -m bench overload`).

A closed-loop client (bench/load.py, wrk) sends its next request when an answer arrives, so a
slow server slows the client down and hides its own queueing ("coordinated omission"). Here
request n is due at start + n / rate; it goes out on an idle keep-alive connection, or a new
one (up to `max_connections`), or waits in the client until one frees up. Its latency is
measured from when it was due, so time spent waiting anywhere counts.

Once the schedule is done, the generator probes with the same request on a fresh connection
every 50 ms until an answer comes within `healthy_ms`: how long the gateway takes to serve
normally again. It prints one `ARRIVALS_RESULT {json}` line.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httptools
import orjson

_RESULT_PREFIX = "ARRIVALS_RESULT "
SHED_CODE = "SERVICE_OVERLOADED"


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    request: bytes  # the whole HTTP/1.1 request, sent as is

    @classmethod
    def post(cls, url: str, body: bytes) -> Target:
        parts = urlsplit(url)
        head = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, head.encode() + body)


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, schedule: _Schedule) -> None:
        self.schedule = schedule
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.due: float | None = None  # when the request in flight was due; None: idle
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.schedule.connected(self)

    def send(self, due: float) -> None:
        assert self.transport is not None
        self.due = due
        self.body.clear()
        self.transport.write(self.schedule.target.request)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.abandon("read")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        due, self.due = self.due, None
        if due is None:
            return  # an answer to a request already given up on (timed out)
        assert self.transport is not None
        self.schedule.answered(self.parser.get_status_code(), b"".join(self.body), due)
        if self.parser.should_keep_alive():
            self.schedule.idle(self)
        else:
            self.transport.close()

    def abandon(self, reason: str) -> None:
        """Count the request in flight as failed for `reason` and drop the connection."""
        if self.due is not None:
            self.due = None
            self.schedule.failures[reason] += 1
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.due is not None:
            self.due = None
            self.schedule.failures["read"] += 1
        self.schedule.lost(self)


class _Schedule:
    def __init__(self, target: Target, max_connections: int, timeout: float) -> None:
        self.target = target
        self.max_connections = max_connections
        self.timeout = timeout
        self.waiting: deque[float] = deque()  # due times of requests no connection has taken
        self.spare: list[_Connection] = []
        self.open: set[_Connection] = set()
        self.connecting = 0
        self.peak_connections = 0
        self.offered = 0
        self.statuses: Counter[int] = Counter()
        self.shed = 0
        self.other_503: Counter[str] = Counter()
        self.graphql_errors = 0
        self.failures: Counter[str] = Counter()  # connect, read, timeout, client_timeout
        self.accepted_ms: list[float] = []
        self.loop = asyncio.get_running_loop()

    def arrive(self, due: float) -> None:
        self.offered += 1
        self.waiting.append(due)
        self.dispatch()

    def dispatch(self) -> None:
        while self.waiting and self.spare:
            self.spare.pop().send(self.waiting.popleft())
        wanted = len(self.waiting) - self.connecting
        while wanted > 0 and len(self.open) + self.connecting < self.max_connections:
            self.connecting += 1
            wanted -= 1
            self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            await self.loop.create_connection(
                lambda: _Connection(self), self.target.host, self.target.port
            )
        except OSError:
            self.connecting -= 1
            self.failures["connect"] += 1
            await asyncio.sleep(0.05)
            self.dispatch()

    def connected(self, connection: _Connection) -> None:
        self.connecting -= 1
        self.open.add(connection)
        self.peak_connections = max(self.peak_connections, len(self.open))
        self.idle(connection)

    def idle(self, connection: _Connection) -> None:
        if self.waiting:
            connection.send(self.waiting.popleft())
        else:
            self.spare.append(connection)

    def lost(self, connection: _Connection) -> None:
        self.open.discard(connection)
        if connection in self.spare:
            self.spare.remove(connection)
        self.dispatch()

    def answered(self, status: int, body: bytes, due: float) -> None:
        self.statuses[status] += 1
        if status == 200:
            self.accepted_ms.append((self.loop.time() - due) * 1e3)
            if b'"errors"' in body:
                self.graphql_errors += 1
        elif status == 503:
            code = _error_code(body)
            if code == SHED_CODE:
                self.shed += 1
            else:
                self.other_503[code] += 1

    def expire(self) -> None:
        """Give up on requests older than the timeout, sent or still waiting."""
        oldest = self.loop.time() - self.timeout
        while self.waiting and self.waiting[0] < oldest:
            self.waiting.popleft()
            self.failures["client_timeout"] += 1
        for connection in list(self.open):
            if connection.due is not None and connection.due < oldest:
                connection.abandon("timeout")

    @property
    def in_flight(self) -> int:
        return len(self.waiting) + sum(1 for c in self.open if c.due is not None)


async def _expire_every(schedule: _Schedule, seconds: float) -> None:
    while True:
        schedule.expire()
        await asyncio.sleep(seconds)


def _error_code(body: bytes) -> str:
    try:
        payload = orjson.loads(body)
        return str(payload["errors"][0]["extensions"]["code"])
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return "(no GraphQL error code)"


async def _probe(target: Target, limit_s: float) -> tuple[int, float]:
    """One request on a fresh connection: its status (0: failed) and milliseconds."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit_s):
            reader, writer = await asyncio.open_connection(target.host, target.port)
            writer.write(target.request)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            writer.close()
    except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
        status = 0
    return status, (time.perf_counter() - started) * 1e3


async def _recovery(target: Target, healthy_ms: float, limit_s: float) -> dict[str, Any]:
    started = time.perf_counter()
    first: tuple[int, float] | None = None
    while True:
        status, ms = await _probe(target, limit_s)
        first = first or (status, ms)
        elapsed = time.perf_counter() - started
        if (status == 200 and ms <= healthy_ms) or elapsed >= limit_s:
            break
        await asyncio.sleep(0.05)
    return {
        "first_probe_status": first[0],
        "first_probe_ms": round(first[1], 2),
        "healthy_after_s": round(elapsed, 2) if status == 200 and ms <= healthy_ms else None,
    }


async def run(
    target: Target,
    rate: float,
    duration: float,
    *,
    max_connections: int = 4000,
    request_timeout: float = 10.0,
    healthy_ms: float = 50.0,
    recovery_limit_s: float = 30.0,
) -> dict[str, Any]:
    schedule = _Schedule(target, max_connections, request_timeout)
    loop = asyncio.get_running_loop()
    total = int(rate * duration)
    start = loop.time()
    latest = 0.0  # how far behind its schedule the generator fell at worst
    sent = 0
    expiry = asyncio.create_task(_expire_every(schedule, 0.1))
    while sent < total:
        now = loop.time()
        due = start + sent / rate
        if due > now:
            await asyncio.sleep(due - now)
            continue
        latest = max(latest, now - due)
        while sent < total and start + sent / rate <= now:
            schedule.arrive(start + sent / rate)
            sent += 1
    offered_s = loop.time() - start
    recovery = await _recovery(target, healthy_ms, recovery_limit_s)
    # What is still in flight gets until its timeout to be answered. Polled: the count is
    # changed by many callbacks, none of which should have to signal.
    while schedule.in_flight and loop.time() - start < duration + request_timeout + 1:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    expiry.cancel()
    schedule.expire()
    for connection in list(schedule.open):
        connection.abandon("timeout")
    accepted = sorted(schedule.accepted_ms)
    return {
        "rate": rate,
        "duration_s": round(offered_s, 2),
        "offered": schedule.offered,
        "accepted": schedule.statuses.get(200, 0),
        "shed": schedule.shed,
        "statuses": {str(status): n for status, n in sorted(schedule.statuses.items())},
        "other_503": dict(schedule.other_503),
        "graphql_errors_in_200": schedule.graphql_errors,
        "failures": dict(schedule.failures),
        "accepted_p50_ms": round(_percentile(accepted, 50), 2),
        "accepted_p99_ms": round(_percentile(accepted, 99), 2),
        "accepted_max_ms": round(accepted[-1], 2) if accepted else 0.0,
        "peak_connections": schedule.peak_connections,
        "generator_max_lag_ms": round(latest * 1e3, 2),
        **recovery,
    }


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def main(url: str, body: bytes, rate: float, duration: float, max_connections: int) -> None:
    """`python -m bench arrivals`: run the schedule and print its result line."""
    import uvloop  # comes with uvicorn[standard]

    result = uvloop.run(
        run(Target.post(url, body), rate, duration, max_connections=max_connections)
    )
    print(_RESULT_PREFIX + orjson.dumps(result).decode(), flush=True)


def parse_result(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(_RESULT_PREFIX):
            result: dict[str, Any] = orjson.loads(line[len(_RESULT_PREFIX) :])
            return result
    raise ValueError(f"the arrivals generator printed no result:\n{output[-2000:]}")
