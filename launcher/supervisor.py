"""Supervision of the running platform: a service that exits is restarted, not the end of it.

    exits ─▶ reported (name, exit code, log) ─▶ restarted after a backoff: 0.5 s doubling to
             30 s, back to 0.5 s once it has stayed up for a minute
    exits `give_up_after` times within `window` seconds ─▶ reported as given up on; the other
             services keep running without it

The launcher calls `check()` from its main loop; nothing here blocks or sleeps, so one service
waiting for its restart never delays noticing another's exit.
"""

from __future__ import annotations

import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from launcher.services import Service

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
# Up this long, a service is deemed healthy again: its next exit restarts it after the first
# backoff, not after the last one doubled.
STABLE_SECONDS = 60.0
GIVE_UP_AFTER = 5
GIVE_UP_WINDOW = 300.0

Start = Callable[[Service], subprocess.Popen[bytes]]


@dataclass
class _Watched:
    service: Service
    started_at: float
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None  # set while it waits to be restarted
    exits: deque[float] = field(default_factory=deque)
    given_up: bool = False


class Supervisor:
    """Watches `processes` (the launcher's list, one per service, updated in place so that
    stopping the platform stops the restarted ones)."""

    def __init__(
        self,
        services: list[Service],
        processes: list[subprocess.Popen[bytes]],
        start: Start,
        log_dir: Path,
        now: float,
        *,
        give_up_after: int = GIVE_UP_AFTER,
        window: float = GIVE_UP_WINDOW,
    ) -> None:
        self.processes = processes
        self.start = start
        self.log_dir = log_dir
        self.give_up_after = give_up_after
        self.window = window
        self.watched = [_Watched(service, now) for service in services]

    def check(self, now: float) -> None:
        for index, watched in enumerate(self.watched):
            if watched.given_up:
                continue
            if watched.restart_at is not None:
                if now >= watched.restart_at:
                    self._restart(index, watched, now)
                continue
            code = self.processes[index].poll()
            if code is not None:
                self._exited(watched, code, now)

    def _exited(self, watched: _Watched, code: int, now: float) -> None:
        name = watched.service.name
        log = self.log_dir / f"{name}.log"
        if now - watched.started_at >= STABLE_SECONDS:
            watched.backoff = FIRST_BACKOFF
        watched.exits.append(now)
        while watched.exits and now - watched.exits[0] > self.window:
            watched.exits.popleft()
        if len(watched.exits) >= self.give_up_after:
            watched.given_up = True
            _report(
                f"{name} exited with code {code} ({len(watched.exits)} exits within "
                f"{self.window:g}s); giving up on it, the other services keep running; see {log}"
            )
            return
        watched.restart_at = now + watched.backoff
        _report(f"{name} exited with code {code}; restarting in {watched.backoff:g}s; see {log}")
        watched.backoff = min(watched.backoff * 2, MAX_BACKOFF)

    def _restart(self, index: int, watched: _Watched, now: float) -> None:
        watched.restart_at = None
        watched.started_at = now
        self.processes[index] = self.start(watched.service)
        _report(f"{watched.service.name} restarted")


def _report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
