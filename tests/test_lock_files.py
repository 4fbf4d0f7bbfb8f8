"""The lock files cover what pyproject.toml asks for: a dependency added without `make lock`
would install nowhere (installs read only the lock files)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def _locked(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^ \\\n]+)", path.read_text(), re.M)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


def _requested(requirements: list[str]) -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]).lower()
        for r in requirements
    }


def test_every_dependency_is_locked_with_hashes() -> None:
    project = tomllib.loads((_ROOT / "pyproject.toml").read_text())
    runtime = _requested(project["project"]["dependencies"])
    development = _requested(project["dependency-groups"]["dev"])
    assert runtime | development <= set(_locked(_ROOT / "requirements.lock"))
    assert runtime <= set(_locked(_ROOT / "docker" / "requirements.lock"))
    text = (_ROOT / "requirements.lock").read_text()
    assert text.count("==") <= text.count("--hash=sha256:")


def test_the_image_gets_the_same_versions() -> None:
    everything = _locked(_ROOT / "requirements.lock")
    for name, version in _locked(_ROOT / "docker" / "requirements.lock").items():
        assert everything[name] == version, name
