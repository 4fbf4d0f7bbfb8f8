"""`python -m gateway plan` prints the plan of an operation as text or JSON, and names what
is wrong with the operation or the variables instead of a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SUPERGRAPH = Path(__file__).parent / "fixtures" / "requires" / "supergraph.graphql"


def _plan(tmp_path: Path, query: str, *extra: str) -> subprocess.CompletedProcess[str]:
    query_file = tmp_path / "query.graphql"
    query_file.write_text(query)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway",
            "plan",
            "--supergraph",
            str(_SUPERGRAPH),
            "--query",
            str(query_file),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_the_plan_as_text(tmp_path: Path) -> None:
    result = _plan(tmp_path, "{ products { name shippingCost } }")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("QueryPlan {")
    assert 'Fetch(service: "products")' in result.stdout
    assert 'Flatten(path: "products.@")' in result.stdout


def test_prints_the_plan_as_json_with_variables(tmp_path: Path) -> None:
    query = "query($withCost: Boolean!) { products { name shippingCost @include(if: $withCost) } }"
    without = json.loads(
        _plan(tmp_path, query, "--json", "--variables", '{"withCost": false}').stdout
    )
    assert without["node"]["kind"] == "Fetch"
    with_cost = json.loads(
        _plan(tmp_path, query, "--json", "--variables", '{"withCost": true}').stdout
    )
    assert with_cost["node"]["kind"] == "Sequence"
    assert [n["kind"] for n in with_cost["node"]["nodes"]] == ["Fetch", "Flatten"]


def test_an_invalid_operation_is_reported(tmp_path: Path) -> None:
    result = _plan(tmp_path, "{ products { nope } }")
    assert result.returncode == 2
    assert "nope" in result.stderr and "Traceback" not in result.stderr


def test_bad_variables_are_reported(tmp_path: Path) -> None:
    query = "query($withCost: Boolean!) { products { name @include(if: $withCost) } }"
    result = _plan(tmp_path, query, "--variables", '{"withCost": "yes"}')
    assert result.returncode == 2
    assert "withCost" in result.stderr and "Traceback" not in result.stderr
