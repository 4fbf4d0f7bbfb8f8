"""`python -m bench fuzz` in seconds: against a test topic it counts answers per property and
finds nothing wrong; against a server answering 500 it reports the violation and fails."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import fuzz
from gateway.pipeline import Gateway
from tests.gateway.kit.federation import load_topic
from tests.gateway.kit.serve import ServerThread


def test_a_short_fuzz_run_of_a_topic_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert fuzz.main("abstract_types", None, minutes=0.1, examples_per_round=15) == 0
    out = capsys.readouterr().out
    assert "answers a normal query afterwards: yes" in out
    assert "VIOLATION" not in out
    result = next(line for line in out.splitlines() if line.startswith("FUZZ_RESULT "))
    assert '"violations":[]' in result
    for prop in ("valid", "damaged", "json", "bytes", "get"):
        assert f'"{prop}":' in result


def test_a_server_error_is_reported_as_a_violation() -> None:
    async def broken(request: Request) -> Response:
        return Response(b'{"errors":[{"message":"boom"}]}', 500, media_type="application/json")

    server = ServerThread(Starlette(routes=[Route("/graphql", broken, methods=["GET", "POST"])]))
    server.start()
    try:
        schema = Gateway(load_topic("abstract_types").supergraph).api_schema
        report = fuzz.fuzz(server.url + "/graphql", schema, seconds=5, examples_per_round=5)
    finally:
        server.stop()
    assert not report.ok
    assert {violation.split(":")[0] for violation in report.violations} == {
        "valid",
        "damaged",
        "json",
        "bytes",
        "get",
    }
    assert all("HTTP 500" in violation for violation in report.violations)
    assert not report.answers_afterwards
