"""The whole platform as `make run` starts it (`python -m launcher` as a child process), for
tests that need every service at once: the launcher's own and the end-to-end trust chain."""

from __future__ import annotations

import dataclasses
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from launcher.clients import DEMO_REDIRECT_PORT_OFFSET, platform_clients, service_environment
from launcher.services import Service, platform_services
from launcher.settings import LauncherSettings

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class Launcher:
    """`python -m launcher` as a child process, its output read line by line."""

    def __init__(self, data_dir: Path, base_port: int, **environment: str) -> None:
        self.data_dir = data_dir
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
        profile = environment.get("CITIZEN_ENV", "development")
        settings = LauncherSettings(base_port=base_port, env=profile, data_dir=data_dir)
        # As the launcher starts them: with the credentials of the clients they act as.
        credentials = service_environment(platform_clients(settings))
        self.services = [
            dataclasses.replace(s, environment={**s.environment, **credentials.get(s.name, {})})
            for s in platform_services(settings)
        ]
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

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def stop(self) -> None:
        """Teardown after a failed test: end the launcher, then whatever it left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_platform(
    data_dir: Path, ready_seconds: float = 120, **environment: str
) -> Iterator[Launcher]:
    """The whole platform as `make run` starts it, on free ports, until the block ends; then
    the launcher is stopped and anything it left behind is killed."""
    launcher = Launcher(data_dir, free_base_port(), **environment)
    try:
        launcher.wait_for_line("ready (Ctrl-C stops)", ready_seconds)
        yield launcher
    finally:
        launcher.stop()
        for process in processes_of(data_dir):
            process.kill()


def processes_of(data_dir: Path) -> list[psutil.Process]:
    """Live processes started for this data dir (the launcher hands it, or a folder in it as
    the eID stand-in's, to every service)."""
    found = []
    for process in psutil.process_iter():
        try:
            given = Path(process.environ().get("CITIZEN_DATA_DIR", "/nonexistent"))
            if given.is_relative_to(data_dir) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def free_base_port() -> int:
    """A base port whose every service port in either profile (base, base+1, base+2,
    base+101...) and the demo platform's redirect port are free.

    Below Linux's ephemeral range (32768 and up): a health check to a port not yet listening
    can otherwise be given that same port as its own source and connect to itself, reading its
    own request back as the answer."""
    for _ in range(100):
        base = random.randrange(20_000, 32_000, 10)
        settings = LauncherSettings(base_port=base, env="production")
        ports = [s.port for s in platform_services(settings)] + [base + DEMO_REDIRECT_PORT_OFFSET]
        if all(_port_free(port) for port in ports):
            return base
    raise RuntimeError("no free port range")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True
