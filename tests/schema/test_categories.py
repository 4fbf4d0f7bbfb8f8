"""`python -m schema categories`: the data categories table, and the guide's copy of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema import __main__ as cli
from schema.categories import END_MARKER, START_MARKER, MarkerError, replace_block
from schema.categories import categories_markdown as table

_ROOT = Path(__file__).resolve().parents[2]
_GUIDE = _ROOT / "docs" / "platforms.md"

# Two subgraphs (a register and a garage); scopes on fields and on a type, a field needing
# two scopes, alternatives, policies, @authenticated, and @requiresScopes imported under
# another name, as `@link(import:)` allows.
_SUPERGRAPH = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY,
        import: [{name: "@requiresScopes", as: "@scopes"}])
  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
{
  query: Query
}

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean)
  repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @scopes(scopes: [[requiresScopes__Scope!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[policy__Policy!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar join__FieldSet
scalar link__Import
scalar requiresScopes__Scope
scalar policy__Policy
enum link__Purpose { SECURITY EXECUTION }

enum join__Graph {
  REGISTER @join__graph(name: "register", url: "http://register.example/graphql")
  GARAGE @join__graph(name: "garage", url: "http://garage.example/graphql")
}

type Query @join__type(graph: REGISTER) @join__type(graph: GARAGE) {
  me: Person @join__field(graph: REGISTER) @authenticated
  plates: [String!]! @join__field(graph: GARAGE)
  audit: String @join__field(graph: REGISTER) @policy(policies: [["auditor"], ["owner"]])
}

type Person @join__type(graph: REGISTER, key: "id") @join__type(graph: GARAGE, key: "id") {
  id: ID!
  name: String @join__field(graph: REGISTER) @scopes(scopes: [["identity:read"]])
  birth: String @join__field(graph: REGISTER) @scopes(scopes: [["identity:read"]])
    @policy(policies: [["self"]])
  car: Car @join__field(graph: GARAGE)
  loans: Int @join__field(graph: GARAGE) @scopes(scopes: [["identity:read", "income:read"]])
  contact: String @join__field(graph: REGISTER) @scopes(scopes: [["email:read"], ["phone:read"]])
}

type Car @join__type(graph: GARAGE) @scopes(scopes: [["vehicles:read"]]) {
  plate: String!
}
"""


def test_one_row_per_field_under_its_only_scope_with_the_agency_resolving_it() -> None:
    rows = _rows(table(_SUPERGRAPH), "| category |")
    assert rows == [
        ["identity", "`identity:read`", "`Person.birth`", "register", "`@policy` `self`"],
        ["identity", "`identity:read`", "`Person.name`", "register", ""],
        # The type's scope covers its fields and every field returning it.
        ["vehicles", "`vehicles:read`", "`Car.plate`", "garage", ""],
        ["vehicles", "`vehicles:read`", "`Person.car`", "garage", ""],
    ]


def test_fields_needing_several_scopes_or_one_of_several() -> None:
    rows = _rows(table(_SUPERGRAPH), "Fields that need more than one scope")
    assert rows == [
        ["`Person.contact`", "register", "`@requiresScopes` `email:read` or `phone:read`"],
        ["`Person.loans`", "garage", "`@requiresScopes` `identity:read` and `income:read`"],
    ]


def test_fields_guarded_by_authentication_or_policy_only() -> None:
    rows = _rows(table(_SUPERGRAPH), "Fields that need no scope")
    assert rows == [
        ["`Query.audit`", "register", "`@policy` `auditor` or `owner`"],
        ["`Query.me`", "register", "`@authenticated`"],
    ]


def test_a_scope_that_is_not_a_read_has_no_category() -> None:
    sdl = _SUPERGRAPH.replace(
        '[["auditor"], ["owner"]])',
        '[["auditor"], ["owner"]]) @scopes(scopes: [["account:manage"]])',
    )
    rows = _rows(table(sdl), "| category |")
    assert rows[0] == [
        "—",
        "`account:manage`",
        "`Query.audit`",
        "register",
        "`@policy` `auditor` or `owner`",
    ]


def test_the_guide_holds_the_table_of_the_current_supergraph() -> None:
    """Fails when the schema changed and the guide was not regenerated; to fix, run
    `python -m schema categories --write docs/platforms.md`."""
    guide = _GUIDE.read_text(encoding="utf-8")
    block = guide.split(START_MARKER, 1)[1].split(END_MARKER, 1)[0]
    supergraph = (_ROOT / "schema" / "supergraph.graphql").read_text(encoding="utf-8")
    assert block == "\n" + table(supergraph)


def test_the_guide_names_every_data_category_the_auth_server_knows() -> None:
    from auth.authorization_details import CATEGORIES

    supergraph = (_ROOT / "schema" / "supergraph.graphql").read_text(encoding="utf-8")
    categories = {row[0] for row in _rows(table(supergraph), "| category |")}
    assert set(CATEGORIES) <= categories


def test_write_replaces_only_the_marked_block(tmp_path: Path) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(_SUPERGRAPH)
    guide = tmp_path / "guide.md"
    guide.write_text(f"# Guide\n\nbefore\n{START_MARKER}\nstale\n{END_MARKER}\nafter\n")
    argv = ["categories", "--supergraph", str(supergraph), "--write", str(guide)]
    assert cli.main(argv) == 0
    written = guide.read_text()
    assert written == (
        f"# Guide\n\nbefore\n{START_MARKER}\n{table(_SUPERGRAPH)}{END_MARKER}\nafter\n"
    )
    assert cli.main(argv) == 0
    assert guide.read_text() == written  # idempotent


def test_print_writes_the_table_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(_SUPERGRAPH)
    assert cli.main(["categories", "--supergraph", str(supergraph)]) == 0
    assert capsys.readouterr().out == table(_SUPERGRAPH)


def test_a_file_without_markers_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(f"{END_MARKER}\n{START_MARKER}\n")
    with pytest.raises(MarkerError):
        replace_block(guide.read_text(), "x\n")
    assert cli.main(["categories", "--write", str(guide)]) == 2
    assert "categories:start" in capsys.readouterr().err
    assert guide.read_text() == f"{END_MARKER}\n{START_MARKER}\n"


def _rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table at or after the line starting with `heading`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("|"))
    table_lines: list[str] = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        table_lines.append(line)
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table_lines[2:]]
