"""`python -m launcher` end to end: every service up on a port range the test chose, a query
joined across agencies through the gateway, Ctrl-C, exit 0 and nothing left running; and the
refusals: a taken port, a service that dies while starting."""

from __future__ import annotations

import json
import re
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from subgraphs.seed import demo_personal_id
from tests.launched import HOST, Launcher, free_base_port, processes_of

pytestmark = pytest.mark.slow

READY_SECONDS = 90
QUERY = "{ me { name { given } lifeEvents { kind } } }"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded by the first launch, reused by the next (the seed checks it matches)."""
    return tmp_path_factory.mktemp("citizen-data").resolve()


@pytest.fixture
def launch(data_dir: Path) -> Iterator[Callable[..., Launcher]]:
    started: list[Launcher] = []

    def start(base_port: int, **environment: str) -> Launcher:
        started.append(Launcher(data_dir, base_port, **environment))
        return started[-1]

    yield start
    for launcher in started:
        launcher.stop()
    for process in processes_of(data_dir):
        process.kill()


def test_start_query_and_stop_with_ctrl_c(launch: Callable[..., Launcher], data_dir: Path) -> None:
    base = free_base_port()
    launcher = launch(base)
    launcher.wait_for_line("ready (Ctrl-C stops)", READY_SECONDS)
    gateway = launcher.service("gateway")
    printed = "".join(launcher.lines)
    # GraphiQL comes first: it is what a developer opens.
    assert f"GraphiQL: http://{HOST}:{base}/graphql\n" in printed
    first_url = re.search(r"^  population +http", printed, re.M)
    assert first_url is not None and printed.index("GraphiQL:") < first_url.start()
    for service in launcher.services:
        assert re.search(rf"^  {service.name} +{re.escape(service.url(HOST))}$", printed, re.M)
        health = httpx.get(service.url(HOST, service.health_path), timeout=10)
        assert health.status_code == 200, service.name

    # The supergraph names ports 4101...; these answers come from this run's own services.
    # Without credentials nobody is signed in; the development identity header (what
    # GraphiQL starts with) signs in a seeded parent through the auth server's tokens.
    anonymous = httpx.post(gateway.url(HOST), json={"query": "{ me { personalId } }"}, timeout=30)
    assert anonymous.json()["data"]["me"] is None
    demo = demo_personal_id(data_dir)
    assert demo is not None
    response = httpx.post(
        gateway.url(HOST),
        json={"query": QUERY},
        headers={"x-query-plan": "true", "x-citizen-dev-identity": demo},
        timeout=30,
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    me = body["data"]["me"]
    assert me["name"]["given"] and me["lifeEvents"]
    assert all(isinstance(event["kind"], str) for event in me["lifeEvents"])
    plan = json.dumps(body["extensions"]["queryPlan"]["json"])
    asked = set(re.findall(r'"serviceName": "(\w+)"', plan))
    assert {"population", "life_events"} < asked and len(asked) >= 4, asked

    children = psutil.Process(launcher.process.pid).children(recursive=True)
    assert len(children) >= len(launcher.services)
    assert {c.pid for c in children} <= {p.pid for p in processes_of(data_dir)}
    launcher.process.send_signal(signal.SIGINT)
    code, output = launcher.finish()
    assert code == 0, output
    assert output.rstrip().endswith("stopped")
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive
    assert not processes_of(data_dir)


def test_a_taken_port_is_refused_before_anything_starts(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    base = free_base_port()
    with socket.socket() as squatter:
        squatter.bind((HOST, base + 1))
        squatter.listen()
        code, output = launch(base).finish()
    assert code == 1
    assert f"error: auth: port {base + 1} on {HOST} is already in use" in output
    assert not processes_of(data_dir)


def test_a_service_that_dies_while_starting_stops_the_rest(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    """Everything before the gateway is up when the gateway refuses its settings; the launcher
    names it, stops the others and exits 1."""
    base = free_base_port()
    launcher = launch(base, GATEWAY_MAX_REQUEST_BYTES="1")
    code, output = launcher.finish(READY_SECONDS)
    assert code == 1, output
    for service in launcher.services[:-1]:  # all but the gateway were up
        assert re.search(rf"^  {service.name} +healthy$", output, re.M), service.name
    assert "error: gateway exited with code 1 before it was healthy" in output
    assert "ready (Ctrl-C stops)" not in output
    assert not processes_of(data_dir)
