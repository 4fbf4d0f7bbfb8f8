"""A topic's subgraphs and a gateway in front of them, all over real HTTP on 127.0.0.1.

    fixtures/<topic>/<name>.graphql + data.py ──▶ TestSubgraph per name (own port)
    fixtures/<topic>/supergraph.graphql ──(placeholder URLs → real ports)──▶ gateway

The gateway under test is `gateway.http.create_app`, served by uvicorn in a thread. With
GATEWAY_TESTS_TARGET=reference the same tests run against the reference @apollo/gateway
(fixtures/reference_gateway.mjs under node); the README in fixtures/ says how to install it.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.gateway.kit.serve import ServerThread
from tests.gateway.kit.subgraph import SubgraphData, TestSubgraph

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TARGET = os.environ.get("GATEWAY_TESTS_TARGET", "gateway")
REFERENCE = TARGET == "reference"

# Fed 2 writes `@join__graph(name: "a", url: "...")`; Fed 1 may omit the comma.
_JOIN_GRAPH = re.compile(r'(@join__graph\(\s*name:\s*"([^"]+)"\s*,?\s*url:\s*)"[^"]*"')


@dataclass(frozen=True)
class Topic:
    name: str
    supergraph: str
    subgraph_sdls: Mapping[str, str]
    data_module: str


def load_topic(name: str) -> Topic:
    folder = FIXTURES / name
    sdls = {
        p.stem: p.read_text()
        for p in sorted(folder.glob("*.graphql"))
        if p.name != "supergraph.graphql"
    }
    return Topic(
        name=name,
        supergraph=(folder / "supergraph.graphql").read_text(),
        subgraph_sdls=sdls,
        data_module=f"tests.gateway.fixtures.{name}.data",
    )


def with_subgraph_urls(supergraph: str, urls: Mapping[str, str]) -> str:
    seen: set[str] = set()

    def replace(m: re.Match[str]) -> str:
        seen.add(m.group(2))
        return f'{m.group(1)}"{urls[m.group(2)]}"'

    out = _JOIN_GRAPH.sub(replace, supergraph)
    assert seen == set(urls), f"supergraph graphs {sorted(seen)} != subgraphs {sorted(urls)}"
    return out


class GatewayClient:
    """A small HTTP client for the gateway under test."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.url = f"{base_url}/graphql"

    async def query(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        operation_name: str | None = None,
    ) -> tuple[int, Any]:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        response = await self.request("POST", json=body, headers=headers)
        return response.status_code, response.json()

    async def request(self, method: str, path: str = "/graphql", **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60) as client:
            return await client.request(method, path, **kw)


class _ReferenceGateway:
    """@apollo/gateway under node, for cross-checking expected results."""

    def __init__(self, supergraph: str) -> None:
        self._file = tempfile.NamedTemporaryFile("w", suffix=".graphql", delete=False)  # noqa: SIM115
        self._file.write(supergraph)
        self._file.close()
        self._proc = subprocess.Popen(
            ["node", "reference_gateway.mjs", "--supergraph", self._file.name, "--port", "0"],
            cwd=FIXTURES,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        assert line.startswith("ready "), f"reference gateway did not start: {line!r}"
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        os.unlink(self._file.name)


@dataclass
class Federation:
    gateway: GatewayClient
    subgraphs: dict[str, TestSubgraph]
    supergraph: str
    # Our gateway's server (None against the reference gateway): its app's state is
    # `server.app.state.gateway`, looked at inside its loop with `server.call`.
    server: ServerThread | None = None

    def reset(self) -> None:
        for s in self.subgraphs.values():
            s.reset()


@contextmanager
def start_federation(
    topic: Topic, settings: Mapping[str, Any] | None = None
) -> Iterator[Federation]:
    module = importlib.import_module(topic.data_module)
    data: Mapping[str, SubgraphData] = module.subgraphs()
    assert set(data) == set(topic.subgraph_sdls), f"{topic.name}: data/SDL names differ"
    subgraphs = {n: TestSubgraph(n, topic.subgraph_sdls[n], data[n]) for n in topic.subgraph_sdls}
    started: list[Any] = []
    try:
        for s in subgraphs.values():
            s.start()
            started.append(s)
        supergraph = with_subgraph_urls(topic.supergraph, {n: s.url for n, s in subgraphs.items()})
        server = None
        if REFERENCE:
            ref = _ReferenceGateway(supergraph)
            started.append(ref)
            url = ref.url
        else:
            from gateway.http import create_app
            from gateway.settings import GatewaySettings

            app = create_app(supergraph, settings=GatewaySettings(**(settings or {})))
            server = ServerThread(app, lifespan="on")
            server.start()
            started.append(server)
            url = server.url
        yield Federation(GatewayClient(url), subgraphs, supergraph, server)
    finally:
        for s in reversed(started):
            s.stop()
