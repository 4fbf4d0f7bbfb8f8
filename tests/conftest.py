"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system_tools import AXE_SCRIPT, chromium_path


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Debian chromium binary that `make test-tools` installs (a failure, not a skip, when it
    is missing: the browser tests are part of the suite)."""
    path = chromium_path()
    if path is None:
        pytest.fail("chromium is not installed: run `make test-tools` (part of `make test`)")
    return path


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's source, to inject into a page under test (`make test-tools` fetches it)."""
    if not Path(AXE_SCRIPT).exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make test-tools` (part of `make test`)")
    return AXE_SCRIPT.read_text()
