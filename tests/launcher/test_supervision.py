"""`python -m launcher` supervises: a service killed while the platform runs is reported
(name, exit code, log file) and restarted, healthy again at its port, while every other
service stays up under the same process; Ctrl-C afterwards still stops everything."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from subgraphs.seed import demo_personal_id
from tests.launched import HOST, Launcher, free_base_port, processes_of

pytestmark = pytest.mark.slow

READY_SECONDS = 90


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    data_dir = tmp_path.resolve()
    launcher = Launcher(data_dir, free_base_port())
    yield launcher
    launcher.stop()
    for process in processes_of(data_dir):
        process.kill()


def _service_process(data_dir: Path, module: str) -> psutil.Process:
    (process,) = [p for p in processes_of(data_dir) if module in p.cmdline()]
    return process


def test_a_killed_service_is_restarted_and_the_others_keep_running(
    launcher: Launcher, tmp_path: Path
) -> None:
    data_dir = tmp_path.resolve()
    launcher.wait_for_line("ready (Ctrl-C stops)", READY_SECONDS)
    others = {p.pid for p in processes_of(data_dir) if "subgraphs.tax" not in p.cmdline()}
    tax = launcher.service("tax")
    victim = _service_process(data_dir, "subgraphs.tax")
    victim.kill()

    exited = launcher.wait_for_line("tax exited", 10)
    assert exited.startswith("tax exited with code -9; restarting in 0.5s; see ")
    assert exited.rstrip().endswith("logs/tax.log")
    launcher.wait_for_line("tax restarted", 10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(tax.url(HOST, tax.health_path), timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        raise AssertionError("tax not healthy again within 60s")
    assert _service_process(data_dir, "subgraphs.tax").pid != victim.pid
    assert launcher.process.poll() is None, "the launcher keeps running"
    assert others <= {p.pid for p in processes_of(data_dir)}, "the others were left alone"

    gateway = launcher.service("gateway")
    person = demo_personal_id(data_dir)
    assert person is not None
    response = httpx.post(
        gateway.url(HOST),
        json={"query": "{ me { name { given } withholdingRate } }"},
        headers={"x-citizen-dev-identity": person},
        timeout=30,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["me"]["name"]["given"], body
    codes = [e.get("extensions", {}).get("code", "") for e in body.get("errors", ())]
    assert not [c for c in codes if c.startswith("SUBREQUEST")], body

    launcher.process.send_signal(2)
    code, output = launcher.finish()
    assert code == 0, output
    assert processes_of(data_dir) == []
