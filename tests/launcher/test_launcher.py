"""`python -m launcher` end to end: every service up on a port range the test chose, a query
joined across agencies through the gateway, Ctrl-C, exit 0 and nothing left running; and the
refusals: a taken port, a service that dies while starting."""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from launcher.services import Service, platform_services
from launcher.settings import LauncherSettings
from subgraphs.seed import demo_personal_id

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
READY_SECONDS = 90
QUERY = "{ me { name { given } lifeEvents { kind } } }"


class Launcher:
    """`python -m launcher` as a child process, its output read line by line."""

    def __init__(self, data_dir: Path, base_port: int, **environment: str) -> None:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("CITIZEN_", "GATEWAY_", "AUTH_"))
        }
        env.update(
            CITIZEN_DATA_DIR=str(data_dir),
            CITIZEN_CITIZENS="200",
            CITIZEN_BASE_PORT=str(base_port),
            PYTHONUNBUFFERED="1",
            **environment,
        )
        self.services = platform_services(LauncherSettings(base_port=base_port))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "launcher"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: queue.Queue[str | None] = queue.Queue()
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.put(line)
        self.output.put(None)

    def wait_for_line(self, prefix: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.output.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix!r} line within {seconds}s:\n{''.join(self.lines)}")

    def finish(self, seconds: float = 30) -> tuple[int, str]:
        code = self.process.wait(timeout=seconds)
        self._reader.join(timeout=5)
        while not self.output.empty():
            line = self.output.get_nowait()
            if line is not None:
                self.lines.append(line)
        return code, "".join(self.lines)

    def stop(self) -> None:
        """Teardown after a failed test: end the launcher, then whatever it left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _processes_of(data_dir: Path) -> list[psutil.Process]:
    """Live processes started for this data dir (the launcher hands it to every service)."""
    found = []
    for process in psutil.process_iter():
        try:
            if (
                process.environ().get("CITIZEN_DATA_DIR") == str(data_dir)
                and process.status() != psutil.STATUS_ZOMBIE
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def _free_base_port() -> int:
    """A base port whose every service port (base, base+1, base+101...) is free."""
    for _ in range(100):
        base = random.randrange(20_000, 60_000, 10)
        ports = [s.port for s in platform_services(LauncherSettings(base_port=base))]
        if all(_free(port) for port in ports):
            return base
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


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
    for process in _processes_of(data_dir):
        process.kill()


def _service(launcher: Launcher, name: str) -> Service:
    return next(s for s in launcher.services if s.name == name)


def test_start_query_and_stop_with_ctrl_c(launch: Callable[..., Launcher], data_dir: Path) -> None:
    base = _free_base_port()
    launcher = launch(base)
    launcher.wait_for_line("ready (Ctrl-C stops)", READY_SECONDS)
    gateway = _service(launcher, "gateway")
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
    assert {c.pid for c in children} <= {p.pid for p in _processes_of(data_dir)}
    launcher.process.send_signal(signal.SIGINT)
    code, output = launcher.finish()
    assert code == 0, output
    assert output.rstrip().endswith("stopped")
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive
    assert not _processes_of(data_dir)


def test_a_taken_port_is_refused_before_anything_starts(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    base = _free_base_port()
    with socket.socket() as squatter:
        squatter.bind((HOST, base + 1))
        squatter.listen()
        code, output = launch(base).finish()
    assert code == 1
    assert f"error: auth: port {base + 1} on {HOST} is already in use" in output
    assert not _processes_of(data_dir)


def test_a_service_that_dies_while_starting_stops_the_rest(
    launch: Callable[..., Launcher], data_dir: Path
) -> None:
    """Everything before the gateway is up when the gateway refuses its settings; the launcher
    names it, stops the others and exits 1."""
    base = _free_base_port()
    launcher = launch(base, GATEWAY_MAX_REQUEST_BYTES="1")
    code, output = launcher.finish(READY_SECONDS)
    assert code == 1, output
    for service in launcher.services[:-1]:  # all but the gateway were up
        assert re.search(rf"^  {service.name} +healthy$", output, re.M), service.name
    assert "error: gateway exited with code 1 before it was healthy" in output
    assert "ready (Ctrl-C stops)" not in output
    assert not _processes_of(data_dir)
