"""The supervisor's policy, on stand-in processes and a clock of the test's: an exit is
reported and restarted after a backoff that doubles, resets once the service stayed up, and a
service that keeps exiting is given up on while the others are left running."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from launcher.services import Service
from launcher.supervisor import Supervisor


class _Process:
    """Stands in for a Popen: exited once `code` is set."""

    def __init__(self) -> None:
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code


def _setup() -> tuple[Supervisor, list[_Process], list[str]]:
    services = [Service("tax", ("tax",), 1), Service("gateway", ("gateway",), 2)]
    processes: list[_Process] = [_Process(), _Process()]
    started: list[str] = []

    def start(service: Service) -> subprocess.Popen[bytes]:
        started.append(service.name)
        return _Process()  # type: ignore[return-value]

    supervisor = Supervisor(
        services,
        processes,  # type: ignore[arg-type]
        start,
        Path("/logs"),
        0.0,
        give_up_after=3,
        window=100.0,
    )
    return supervisor, supervisor.processes, started  # type: ignore[return-value]


def test_an_exit_is_reported_and_restarted_after_the_backoff(
    capsys: pytest.CaptureFixture[str],
) -> None:
    supervisor, processes, started = _setup()
    processes[0].code = -9
    supervisor.check(1.0)
    assert capsys.readouterr().err == (
        "tax exited with code -9; restarting in 0.5s; see /logs/tax.log\n"
    )
    supervisor.check(1.4)
    assert started == []
    supervisor.check(1.5)
    assert started == ["tax"]
    assert capsys.readouterr().err == "tax restarted\n"
    assert processes[0].poll() is None, "the new process is the one watched"


def test_the_backoff_doubles_and_resets_once_the_service_stayed_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    supervisor, processes, _ = _setup()
    supervisor.window = 1.0  # exits far apart: never given up on
    delays = []
    now = 0.0
    for up_for in (1.0, 1.0, 1.0, 120.0):
        now += up_for
        processes[0].code = 1
        supervisor.check(now)
        delays.append(capsys.readouterr().err.split("restarting in ")[1].split("s;")[0])
        now += 60
        supervisor.check(now)
    assert delays == ["0.5", "1", "2", "0.5"]


def test_a_service_that_keeps_exiting_is_given_up_on_and_the_rest_keep_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    supervisor, processes, started = _setup()
    now = 0.0
    for _ in range(3):
        now += 1
        processes[0].code = 1
        supervisor.check(now)
        now += 40
        supervisor.check(now)
    report = capsys.readouterr().err.splitlines()
    assert report[-1] == (
        "tax exited with code 1 (3 exits within 100s); giving up on it, the other services "
        "keep running; see /logs/tax.log"
    )
    assert started == ["tax", "tax"]
    supervisor.check(now + 1000)
    assert started == ["tax", "tax"]
    processes[1].code = 1
    supervisor.check(now + 1001)
    assert "gateway exited with code 1; restarting" in capsys.readouterr().err
