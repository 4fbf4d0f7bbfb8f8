"""One launched platform (every service as `make run` starts it, the portal included) shared by
the portal's integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.launched import Launcher, free_base_port, processes_of

READY_SECONDS = 120


@pytest.fixture(scope="session")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Launcher, Path]]:
    data_dir = tmp_path_factory.mktemp("portal").resolve()
    launcher = Launcher(data_dir, free_base_port())
    try:
        launcher.wait_for_line("ready (Ctrl-C stops)", READY_SECONDS)
        yield launcher, data_dir
    finally:
        launcher.stop()
        for process in processes_of(data_dir):
            process.kill()
