"""`python -m schema compose`: arguments, SDL sources, exit status and --check."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from compose_testing import FIXTURES, fixture_set

from schema import __main__ as cli
from schema import sources
from schema.subgraphs import PlatformSubgraph


@pytest.fixture
def served_sdl() -> Iterator[str]:
    """A URL answering `{ _service { sdl } }` with the media catalogue fixture."""
    sdl = (FIXTURES / "media" / "catalogue.graphql").read_text()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert "_service" in body["query"]
            payload = json.dumps({"data": {"_service": {"sdl": sdl}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/graphql"
    server.shutdown()
    server.server_close()


def _sdl_arg(name: str, file: Path) -> str:
    return f"{name}=http://{name}.example/graphql={file}"


def test_composes_files(tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    media = FIXTURES / "media"
    argv = ["compose", "--sdl", _sdl_arg("catalogue", media / "catalogue.graphql")]
    argv += ["--sdl", _sdl_arg("people", media / "people.graphql"), "--out", str(out)]
    assert cli.main(argv) == 0
    assert 'CATALOGUE @join__graph(name: "catalogue", url: "http://catalogue.example/graphql")' in (
        out.read_text()
    )


def test_fetches_sdl_from_a_running_subgraph(served_sdl: str, tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    people = _sdl_arg("people", FIXTURES / "media" / "people.graphql")
    argv = ["compose", "--subgraph", f"catalogue={served_sdl}", "--sdl", people]
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert f'url: "{served_sdl}"' in out.read_text()


def test_check_fails_when_the_file_is_stale(tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    media = FIXTURES / "media"
    argv = ["compose", "--sdl", _sdl_arg("catalogue", media / "catalogue.graphql")]
    argv += ["--sdl", _sdl_arg("people", media / "people.graphql"), "--out", str(out)]
    assert cli.main([*argv, "--check"]) == 1  # missing counts as stale
    assert cli.main(argv) == 0
    assert cli.main([*argv, "--check"]) == 0
    out.write_text(out.read_text().replace("pages: Int", "pages: Float"))
    assert cli.main([*argv, "--check"]) == 1


def test_composition_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.graphql"
    broken.write_text((FIXTURES / "media" / "people.graphql").read_text().replace("ID!", "Nope"))
    argv = ["compose", "--sdl", _sdl_arg("people", broken), "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 1
    assert "INVALID_GRAPHQL: [people] Unknown type 'Nope'." in capsys.readouterr().err


def test_unreachable_subgraph_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compose", "--subgraph", "tax=http://127.0.0.1:9/graphql"]) == 2
    assert "tax: cannot fetch the SDL" in capsys.readouterr().err


def test_malformed_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compose", "--sdl", "tax=only-two"]) == 2
    assert "expected NAME=URL=FILE" in capsys.readouterr().err


def test_without_arguments_composes_the_platform_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = "http://127.0.0.1:4001/graphql"
    listed = (PlatformSubgraph("population", url, "fake_population:schema"),)
    monkeypatch.setattr(cli, "PLATFORM_SUBGRAPHS", listed)
    out = tmp_path / "supergraph.graphql"
    assert cli.main(["compose", "--out", str(out)]) == 0
    supergraph = out.read_text()
    assert '@join__type(graph: POPULATION, key: "personalId")' in supergraph
    assert "_entities" not in supergraph and "_Service" not in supergraph


def test_platform_subgraphs_report_a_bad_dotted_path() -> None:
    listed = [PlatformSubgraph("tax", "http://tax", "no_such_module_anywhere:schema")]
    with pytest.raises(sources.SourceError, match="tax: cannot import"):
        sources.platform_subgraphs(listed)


def test_fixture_sets_compose_from_the_cli(tmp_path: Path) -> None:
    for name in ("commerce", "civic"):
        argv = ["compose", "--out", str(tmp_path / f"{name}.graphql")]
        for subgraph in fixture_set(name):
            argv += ["--sdl", _sdl_arg(subgraph.name, FIXTURES / name / f"{subgraph.name}.graphql")]
        assert cli.main(argv) == 0
