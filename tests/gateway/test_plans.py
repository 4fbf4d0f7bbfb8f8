"""Plan snapshots by federation topic: the planner's output for each operation under
tests/gateway/plans/<topic>/ must equal the printed plan stored beside it (see its README)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from gateway.pipeline import Gateway

_ROOT = Path(__file__).resolve().parents[2]
_PLANS = Path(__file__).parent / "plans"
_FIXTURES = Path(__file__).parent / "fixtures"
_CASES = sorted(_PLANS.glob("*/*.graphql"))


def _supergraph_for(case: Path) -> Path:
    first = case.read_text().splitlines()[0]
    if first.startswith("# supergraph:"):
        return _ROOT / first.split(":", 1)[1].strip()
    return _FIXTURES / case.parent.name / "supergraph.graphql"


def _query_for(case: Path) -> str:
    """The operation in the file, or the one a `# query: module:name` line points to (the
    benchmark's query lives in bench/queries.py and is planned from there)."""
    for line in case.read_text().splitlines():
        if line.startswith("# query:"):
            module, name = line.split(":", 1)[1].strip().split(":")
            return str(getattr(importlib.import_module(module), name))
    return case.read_text()


def _plan_text(case: Path) -> str:
    gateway = Gateway(_supergraph_for(case).read_text())
    prepared = gateway.prepare(_query_for(case), None)
    return str(gateway.plan(prepared, gateway.coerce_variables(prepared, {})).plan) + "\n"


@pytest.mark.parametrize("case", _CASES, ids=lambda c: f"{c.parent.name}/{c.stem}")
def test_plan_matches_snapshot(case: Path) -> None:
    expected_file = case.with_suffix(".plan")
    actual = _plan_text(case)
    if os.environ.get("UPDATE_PLANS"):
        expected_file.write_text(actual)
    assert expected_file.exists(), f"no snapshot yet: run UPDATE_PLANS=1 for {case}"
    assert actual == expected_file.read_text()


def test_every_topic_has_snapshots() -> None:
    assert len(_CASES) >= 15
