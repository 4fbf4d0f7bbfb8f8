from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from subgraphs.common.serve import main
from subgraphs.population.app import create_population_app


def test_a_configuration_error_exits_with_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CITIZEN_ENV", raising=False)
    monkeypatch.setenv("CITIZEN_DEV_PERSONAL_ID", "19900101-0001")
    assert main("population", create_population_app, ["--port", "1"]) == 2
    assert "CITIZEN_DEV_PERSONAL_ID" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_agency_runs_as_its_own_process(seeded_dir: Path) -> None:
    port = _free_port()
    env = dict(os.environ, CITIZEN_DATA_DIR=str(seeded_dir), CITIZEN_ENV="development")
    process = subprocess.Popen(
        [sys.executable, "-m", "subgraphs.tax", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "not healthy in 20 s"
                time.sleep(0.1)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=b'{"query": "{ _service { sdl } }"}',
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert b"withholdingRate" in response.read()
    finally:
        process.terminate()
        process.wait(timeout=10)
