from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from subgraphs.common.serve import main
from subgraphs.population.app import create_population_app
from tests.subgraphs.gateway_tokens import TestGateway


def test_a_missing_jwks_url_stops_the_start_with_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seeded_dir: Path
) -> None:
    monkeypatch.setenv("CITIZEN_DATA_DIR", str(seeded_dir))
    monkeypatch.delenv("CITIZEN_GATEWAY_JWKS_URL", raising=False)
    monkeypatch.chdir("/")  # away from any .env
    assert main("population", create_population_app, ["--port", "1"]) == 2
    assert "CITIZEN_GATEWAY_JWKS_URL is not set" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _post(port: int, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ _service { sdl } }"}).encode(),
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_an_agency_runs_as_its_own_process(seeded_dir: Path, gateway: TestGateway) -> None:
    port = _free_port()
    env = dict(
        os.environ, CITIZEN_DATA_DIR=str(seeded_dir), CITIZEN_GATEWAY_JWKS_URL=gateway.jwks_url
    )
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
        assert _post(port, {})[0] == 401
        status, body = _post(port, {"authorization": f"Bearer {gateway.mint('tax')}"})
        assert status == 200 and b"withholdingRate" in body
    finally:
        process.terminate()
        process.wait(timeout=10)
