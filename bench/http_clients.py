"""`python -m bench clients`: aiohttp against httpx as the gateway's subgraph client.

Starts the products benchmark subgraph (answers from its memo, pinned to CPU 1), then sends
the same `_entities` request from this process (pinned to CPU 0) with each client at fixed
concurrency, one client at a time, and reports requests per second and CPU per request.
The gateway uses aiohttp because of what this prints.
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
import orjson

_BODY = orjson.dumps(
    {
        "query": "query($representations:[_Any!]!){_entities(representations:$representations)"
        "{...on Product{name price weight}}}",
        "variables": {"representations": [{"__typename": "Product", "upc": "1"}]},
    }
)
_HEADERS = {"content-type": "application/json", "accept": "application/json"}

Send = Callable[[], Awaitable[None]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _drive(send: Send, concurrency: int, requests: int) -> tuple[float, float]:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await send()

    cpu, start = _cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, used = time.perf_counter() - start, _cpu_seconds() - cpu
    return requests / elapsed, used / requests * 1000


async def _measure(url: str, concurrency: int, requests: int) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def aiohttp_send() -> None:
            async with session.post(url, data=_BODY, headers=_HEADERS) as response:
                orjson.loads(await response.read())

        await _drive(aiohttp_send, concurrency, requests // 10)  # warm-up
        results["aiohttp"] = await _drive(aiohttp_send, concurrency, requests)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits) as client:

        async def httpx_send() -> None:
            response = await client.post(url, content=_BODY, headers=_HEADERS)
            orjson.loads(response.content)

        await _drive(httpx_send, concurrency, requests // 10)
        results["httpx"] = await _drive(httpx_send, concurrency, requests)
    return results


def main(concurrencies: list[int], requests: int) -> int:
    port = _free_port()
    server = subprocess.Popen(
        ["taskset", "-c", "1", sys.executable, "-m", "bench", "subgraphs", f"products={port}"],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    affinity = os.sched_getaffinity(0)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(urllib.request.Request(url, _BODY, _HEADERS), timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        os.sched_setaffinity(0, {0})
        print(f"{'client':<10}{'concurrency':>12}{'req/s':>10}{'CPU ms/req':>12}")
        for concurrency in concurrencies:
            for name, (rate, cpu) in asyncio.run(_measure(url, concurrency, requests)).items():
                print(f"{name:<10}{concurrency:>12}{rate:>10.0f}{cpu:>12.3f}")
    finally:
        os.sched_setaffinity(0, affinity)
        server.terminate()
        server.wait()
    return 0
