"""`python -m schema check`: additive, breaking and usage-breaking changes, composition errors,
operations files, JSON output and exit codes.

The current subgraphs are tests/schema/fixtures/check/supergraph.yaml (a registry and a
benefits agency sharing Person); each test proposes an edited copy of one of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from compose_testing import FIXTURES

from schema import __main__ as cli
from schema.sources import sdl_from_object

CHECK = FIXTURES / "check"
CONFIG = str(CHECK / "supergraph.yaml")
OPERATIONS = str(CHECK / "operations.json")


def _propose(tmp_path: Path, name: str, old: str, new: str) -> str:
    """`--subgraph` for the fixture `name` with `old` replaced by `new`."""
    sdl = (CHECK / f"{name}.graphql").read_text()
    assert old in sdl, f"{old!r} is not in {name}.graphql"
    path = tmp_path / f"{name}.graphql"
    path.write_text(sdl.replace(old, new))
    return f"{name}={path}"


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["check", "--config", CONFIG, *argv, "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert report["exit_code"] == code
    return code, report


def _changes(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["coordinate"]: (c["severity"], c["code"]) for c in report["changes"]}


def test_an_additive_change_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proposed = _propose(
        tmp_path,
        "registry",
        "  status: Status!\n}",
        "  status: Status!\n  email: String\n  address: Address\n}\n\ntype Address {\n"
        "  street: String!\n}",
    )
    code, report = _check(capsys, "--subgraph", proposed)
    assert code == 0
    assert report["result"] == "pass"
    assert report["subgraphs"] == {"replaced": ["registry"], "added": []}
    assert _changes(report) == {
        "Person.email": ("SAFE", "FIELD_ADDED"),
        "Person.address": ("SAFE", "FIELD_ADDED"),
        "Address": ("SAFE", "TYPE_ADDED"),
    }


def test_a_dangerous_change_passes_and_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proposed = _propose(tmp_path, "registry", "  DECEASED\n", "  DECEASED\n  EMIGRATED\n")
    code, report = _check(capsys, "--subgraph", proposed)
    assert code == 0
    assert _changes(report) == {"Status.EMIGRATED": ("DANGEROUS", "VALUE_ADDED_TO_ENUM")}


@pytest.mark.parametrize(
    ("name", "old", "new", "coordinate", "code"),
    [
        ("registry", "  nickname: String\n", "", "Person.nickname", "FIELD_REMOVED"),
        (
            "benefits",
            "benefits(year: Int)",
            "benefits(year: Int!)",
            "Person.benefits(year:)",
            "ARG_CHANGED_TYPE",
        ),
        ("registry", "  DECEASED\n", "", "Status.DECEASED", "VALUE_REMOVED_FROM_ENUM"),
        ("benefits", "amount: Float!", "amount: String!", "Benefit.amount", "FIELD_CHANGED_TYPE"),
        # Output loosened: clients that relied on a name may now get null.
        ("registry", "name: String!", "name: String", "Person.name", "FIELD_CHANGED_TYPE"),
        (
            "benefits",
            "benefits(year: Int)",
            "benefits(year: Int, kind: String!)",
            "Person.benefits(kind:)",
            "REQUIRED_ARG_ADDED",
        ),
        ("benefits", "type Benefit {", "interface Benefit {", "Benefit", "TYPE_CHANGED_KIND"),
    ],
)
def test_a_breaking_change_fails_and_is_listed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    new: str,
    coordinate: str,
    code: str,
) -> None:
    if new.startswith("interface"):  # an interface needs an implementation to compose
        new = "type Cash implements Benefit { kind: String! amount: Float! }\n" + new
    proposed = _propose(tmp_path, name, old, new)
    exit_code, report = _check(capsys, "--subgraph", proposed)
    assert exit_code == 3
    assert report["result"] == "fail"
    assert _changes(report)[coordinate] == ("BREAKING", code)


def test_variance_tightened_outputs_and_loosened_inputs_are_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r").mkdir()
    registry = _propose(tmp_path / "r", "registry", "  nickname: String\n", "  nickname: String!\n")
    benefits = _propose(tmp_path, "benefits", "  amount: Float!\n", "  amount: Float!\n")
    registry_sdl = Path(registry.split("=", 1)[1])
    registry_sdl.write_text(registry_sdl.read_text().replace("person(id: ID!)", "person(id: ID)"))
    code, report = _check(capsys, "--subgraph", registry, "--subgraph", benefits)
    assert code == 0
    assert _changes(report) == {
        "Person.nickname": ("SAFE", "FIELD_CHANGED_TYPE"),
        "Query.person(id:)": ("SAFE", "ARG_CHANGED_TYPE"),
    }


def test_text_output_lists_the_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proposed = _propose(tmp_path, "registry", "  nickname: String\n", "")
    assert cli.main(["check", "--config", CONFIG, "--subgraph", proposed]) == 3
    out = capsys.readouterr().out
    assert "changes to the API schema: 1 breaking, 0 dangerous, 0 safe" in out
    assert "BREAKING  FIELD_REMOVED" in out and "field Person.nickname was removed" in out
    assert out.rstrip().endswith("result: FAIL (exit 3): 1 breaking change(s)")


def test_operations_only_those_using_the_removed_field_break(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proposed = _propose(tmp_path, "registry", "  nickname: String\n", "")
    code, report = _check(capsys, "--subgraph", proposed, "--operations", OPERATIONS)
    assert code == 3
    by_id = {op["id"]: op for op in report["operations"]}
    assert {i: op["status"] for i, op in by_id.items()} == {
        "person-names": "broken",
        "benefits-of-year": "unaffected",
        "retired": "unaffected",
    }
    broken = by_id["person-names"]
    assert broken["name"] == "PersonNames"
    assert broken["errors"] == [
        "Cannot query field 'nickname' on type 'Person'. Did you mean 'name'?"
    ]
    assert broken["breaking_changes"] == ["Person.nickname"]
    assert report["unused_breaking_changes"] == []


def test_operations_a_breaking_change_nobody_uses_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proposed = _propose(tmp_path, "benefits", "  benefitKinds: [String!]!\n", "  ping: Int\n")
    argv = ["check", "--config", CONFIG, "--subgraph", proposed, "--operations", OPERATIONS]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "operations: 3 checked: 0 broken, 0 affected, 3 unaffected" in out
    assert "breaking changes no given operation uses" in out
    assert "do not fail the check" in out
    assert "field Query.benefitKinds was removed" in out
    assert out.rstrip().endswith("result: pass (exit 0): no operation is broken")
    assert cli.main(["check", "--config", CONFIG, "--subgraph", proposed]) == 3  # without them


def test_operations_still_valid_but_affected_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`amount` may now be null: every operation still validates, but the one that reads
    amounts relied on a value."""
    proposed = _propose(tmp_path, "benefits", "amount: Float!", "amount: Float")
    code, report = _check(capsys, "--subgraph", proposed, "--operations", OPERATIONS)
    assert code == 3
    statuses = {op["id"]: op["status"] for op in report["operations"]}
    assert statuses["benefits-of-year"] == "affected"
    assert statuses["person-names"] == statuses["retired"] == "unaffected"
    affected = next(op for op in report["operations"] if op["id"] == "benefits-of-year")
    assert affected["errors"] == []
    assert affected["breaking_changes"] == ["Benefit.amount"]


def test_operations_from_an_export_and_a_graphql_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "recent.jsonl"
    lines = [
        {"query": "query Names { people { name } }", "operationName": "Names"},
        {"query": "query Names { people { name } }", "operationName": "Names"},  # a repeat
        {"query": "{ people { nickname } }"},
        {
            "query": "query A { benefitKinds } query B($id: ID!) { person(id: $id) { nickname } }",
            "operationName": "A",
        },
    ]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    documents = tmp_path / "client.graphql"
    documents.write_text(
        "query Mine($id: ID!) { person(id: $id) { ...Who } }\n"
        "query Yours($id: ID!) { person(id: $id) { name } }\n"
        "fragment Who on Person { name nickname }\n"
    )
    proposed = _propose(tmp_path, "registry", "  nickname: String\n", "")
    argv = ["--subgraph", proposed, "--operations", str(export), "--operations", str(documents)]
    code, report = _check(capsys, *argv)
    assert code == 3
    assert [(op["name"], op["status"]) for op in report["operations"]] == [
        ("Names", "unaffected"),
        (None, "broken"),
        ("A", "unaffected"),
        ("Mine", "broken"),
        ("Yours", "unaffected"),
    ]
    assert report["operations"][1]["source"] == f"{export}:3"
    assert len(report["operations"][0]["id"]) == 64  # sha256 of the text


def test_operations_already_invalid_are_reported_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = tmp_path / "stale.graphql"
    documents.write_text("query Stale { people { shoeSize } }\n")
    proposed = _propose(tmp_path, "registry", "  nickname: String\n", "  nickname: String\n")
    code, report = _check(capsys, "--subgraph", proposed, "--operations", str(documents))
    assert code == 0
    [stale] = report["operations"]
    assert stale["status"] == "invalid_before"
    assert stale["errors"] == ["Cannot query field 'shoeSize' on type 'Person'."]


def test_a_composition_error_exits_1_with_its_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Person.name, resolved by a second subgraph without @shareable.
    proposed = _propose(tmp_path, "benefits", "  id: ID!\n", "  id: ID!\n  name: String!\n")
    code, report = _check(capsys, "--subgraph", proposed, "--operations", OPERATIONS)
    assert code == 1
    assert report["composition"]["of"] == "proposed"
    codes = {error["code"] for error in report["composition"]["errors"]}
    assert "INVALID_FIELD_SHARING" in codes
    assert report["changes"] == [] and report["operations"] is None
    argv = ["check", "--config", CONFIG, "--subgraph", proposed]
    assert cli.main(argv) == 1
    assert "INVALID_FIELD_SHARING: " in capsys.readouterr().out


def test_a_new_subgraph_is_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transport = tmp_path / "transport.graphql"
    transport.write_text(
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'
        "type Query { vehicle(plate: String!): Vehicle }\ntype Vehicle { plate: String! }\n"
        'type Person @key(fields: "id") { id: ID! vehicles: [Vehicle!]! }\n'
    )
    code, report = _check(capsys, "--subgraph", f"transport={transport}")
    assert code == 0
    assert report["subgraphs"] == {"replaced": [], "added": ["transport"]}
    assert _changes(report) == {
        "Query.vehicle": ("SAFE", "FIELD_ADDED"),
        "Person.vehicles": ("SAFE", "FIELD_ADDED"),
        "Vehicle": ("SAFE", "TYPE_ADDED"),
    }


def test_json_output_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proposed = _propose(tmp_path, "registry", "  nickname: String\n", "")
    _, report = _check(capsys, "--subgraph", proposed, "--operations", OPERATIONS)
    assert set(report) == {
        "result",
        "exit_code",
        "verdict",
        "subgraphs",
        "composition",
        "changes",
        "operations",
        "unused_breaking_changes",
    }
    assert report["changes"] == [
        {
            "code": "FIELD_REMOVED",
            "severity": "BREAKING",
            "coordinate": "Person.nickname",
            "message": "field Person.nickname was removed",
        }
    ]
    assert set(report["operations"][0]) == {
        "id",
        "name",
        "source",
        "status",
        "errors",
        "breaking_changes",
    }
    assert report["verdict"] == "1 operation(s) broken or affected"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--subgraph", "registry"], "expected NAME=FILE"),
        (["--subgraph", "registry=/nonexistent/registry.graphql"], "cannot read"),
        (["--subgraph", f"registry={CHECK / 'registry.graphql'}", "--operations", "x.txt"], ""),
        (
            ["--subgraph", f"registry={CHECK / 'registry.graphql'}", "--operations", CONFIG],
            "unknown kind of operations file",
        ),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(["check", "--config", CONFIG, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err


def test_an_operation_that_does_not_parse_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "recent.jsonl"
    export.write_text(json.dumps({"query": "{ people { name }"}) + "\n")
    argv = ["--subgraph", f"registry={CHECK / 'registry.graphql'}", "--operations", str(export)]
    assert cli.main(["check", "--config", CONFIG, *argv]) == 2
    assert f"{export}:1: does not parse" in capsys.readouterr().err


def test_without_config_the_platform_subgraphs_are_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An agency's CI: the tax administration adds a field to its own subgraph."""
    sdl = sdl_from_object("tax", "subgraphs.tax.schema:schema")
    anchor = "type Query {\n"
    assert anchor in sdl
    proposed = tmp_path / "tax.graphql"
    proposed.write_text(sdl.replace(anchor, anchor + "  taxOfficeHours: String\n", 1))
    code = cli.main(["check", "--subgraph", f"tax={proposed}", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["subgraphs"] == {"replaced": ["tax"], "added": []}
    assert _changes(report) == {"Query.taxOfficeHours": ("SAFE", "FIELD_ADDED")}
