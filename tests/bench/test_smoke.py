"""A few seconds of `python -m bench` against our gateway only, plain, behind the bench issuer
with a token, and recording disclosures at the issuer's log sink: each must produce numbers,
the second and third must need their token, the third must record."""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
import pytest

from bench import oracle, queries
from bench.runner import Config, run

ROOT = Path(__file__).resolve().parents[2]


def _free_base_port() -> int:
    """A base port whose subgraph ports (+1..+4), issuer port (+5) and gateway ports (+10..+12)
    are all free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 65000:
            continue
        ports = [base + n for n in (1, 2, 3, 4, 5, 10, 11, 12)]
        if all(_free(port) for port in ports):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_smoke_run_of_our_gateway_plain_with_a_token_and_logged(tmp_path: Path) -> None:
    config = Config(
        gateways=["ours", "ours-auth", "ours-logged"],
        concurrency=4,
        duration=1.0,
        warmup=0.3,
        generator="python",
        base_port=_free_base_port(),
        micro=False,
        results_dir=tmp_path,
    )
    summary = run(config)

    ours, secured, logged = summary["gateways"]
    for measured in (ours, secured, logged):
        assert measured["ok"], measured["reason"]
        load = measured["load"]
        assert load["requests"] > 0
        assert load["rps"] > 0
        assert 0 < load["p50_ms"] <= load["p99_ms"]
        # Every request of the variant carried the token: a 401 or an authorization error
        # would count here.
        assert load["error_count"] == 0, load["errors"]
        assert measured["cpu_s"] > 0
        assert measured["peak_rss_mb"] > 0
    assert (tmp_path / "results.json").exists()
    report = (tmp_path / "results.md").read_text()
    assert "ours (Python)" in report
    assert "ours, token + authorization" in report
    assert "ours with token + authorization vs without: RPS x" in report
    assert "ours with the disclosure log vs without (both with token): RPS x" in report

    # With the token, the variant answers what the plain gateway answers; the gateway polled
    # the issuer's revocations meanwhile.
    expected = oracle.expected(queries.body(queries.DEEP))
    assert oracle.normalise((tmp_path / "ours-auth-deep.json").read_bytes()) == expected
    assert secured["issuer_requests"]["/revocations"] > 0
    # Every answered request was recorded before it was answered, several to a POST.
    records, posts = logged["issuer_requests"]["records"], logged["issuer_requests"]["/disclosures"]
    assert records >= logged["load"]["requests"] and 0 < posts < records
    assert "/disclosures" not in secured["issuer_requests"]
    assert oracle.normalise((tmp_path / "ours-logged-deep.json").read_bytes()) == expected
    # Without it, the same query gets authorization errors and no data.
    anonymous = orjson.loads((tmp_path / "ours-auth-deep-anonymous.json").read_bytes())
    assert anonymous["data"] == {"users": None, "topProducts": None}
    assert [error["path"] for error in anonymous["errors"]] == [["users"], ["topProducts"]]
    assert {error["extensions"]["code"] for error in anonymous["errors"]} == {
        "UNAUTHORIZED_FIELD_OR_TYPE"
    }


def test_client_comparison_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import http_clients

    assert http_clients.main([4], 200) == 0
    lines = capsys.readouterr().out.splitlines()
    measured = {line.split()[0] for line in lines[1:]}
    assert measured == {"aiohttp", "httpx"}
    assert all(float(line.split()[2]) > 0 for line in lines[1:])
