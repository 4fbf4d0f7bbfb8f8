"""One launched platform (every service as `make run` starts it, the portal included) shared by
the portal's integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.launched import Launcher, running_platform


@pytest.fixture(scope="session")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Launcher, Path]]:
    data_dir = tmp_path_factory.mktemp("portal").resolve()
    with running_platform(data_dir) as launcher:
        yield launcher, data_dir
