"""The disclosure log end to end: real tokens, the launcher's gateway recording at the real auth
server. Every response that disclosed a citizen's data to anyone else is in the log, one record
per data subject, before the response arrives; the citizen's own reads are not; the citizen and
their guardian read it through the gateway; and with the log out of reach nothing is disclosed.

Each request sends a trace id of its own, which is how the records it left are found."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
from datetime import date
from typing import Any

import httpx
import pytest

from tests.launched import HOST, ROOT
from tests.trust_chain.people import People, find_people, is_minor
from tests.trust_chain.platform import Platform, another_gateway

pytestmark = pytest.mark.slow

LOG = """query($platform: String) { me { dataAccessLog(platform: $platform) {
  totalCount
  edges { node {
    platform { clientId name } purpose categories fields actorId consentId traceId occurredAt
  } }
  pageInfo { hasNextPage }
} } }"""


@pytest.fixture(scope="module")
def people(platform: Platform) -> People:
    return find_people(platform.data_dir, date.today())


def _traced(
    platform: Platform, query: str, token: str, url: str | None = None, **variables: Any
) -> tuple[str, httpx.Response]:
    """Send `query` with a trace of its own; return the trace id and the answer."""
    trace = secrets.token_hex(16)
    response = httpx.post(
        url or platform.gateway,
        json={"query": query, "variables": variables},
        headers={
            "authorization": f"Bearer {token}",
            "traceparent": f"00-{trace}-{secrets.token_hex(8)}-01",
        },
        timeout=30,
    )
    return trace, response


def _records(platform: Platform, trace: str) -> list[dict[str, Any]]:
    """What the access log holds for one request, read from the auth server's database."""
    connection = sqlite3.connect(f"file:{platform.data_dir / 'auth.sqlite3'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        rows = connection.execute(
            "SELECT principal, client_id, actor, categories, fields, purpose, consent_id, "
            "mandate_id FROM access_log WHERE trace_id = ? ORDER BY principal",
            (trace,),
        ).fetchall()
    finally:
        connection.close()
    return [
        {
            **dict(row),
            "categories": json.loads(row["categories"]),
            "fields": json.loads(row["fields"]),
        }
        for row in rows
    ]


def _children(platform: Platform, parent: str) -> list[str]:
    connection = sqlite3.connect(platform.data_dir / "population.sqlite3")
    try:
        rows = connection.execute(
            "SELECT child_id FROM parent_child WHERE parent_id = ? ORDER BY child_id", (parent,)
        )
        return [child for (child,) in rows]
    finally:
        connection.close()


def test_a_platforms_read_leaves_one_record_per_data_subject(
    platform: Platform, people: People
) -> None:
    token, consent_id = platform.platform_token(
        people.parent, ["identity", "income", "family"], ["identity", "income", "family"]
    )
    trace, response = _traced(
        platform,
        "{ me { name { given } income { total } family { children { name { given } } } } }",
        token,
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    children = _children(platform, people.parent)
    assert people.minor in children
    bank = {
        "client_id": "bank",
        "actor": None,
        "categories": ["identity"],
        "fields": ["name.given"],
        "purpose": "Mortgage application",
        "consent_id": consent_id,
        "mandate_id": None,
    }
    # The parent's name and income, and that these are their children; each child's name.
    assert _records(platform, trace) == sorted(
        [
            {
                **bank,
                "principal": people.parent,
                "categories": ["family", "identity", "income"],
                "fields": ["family.children", "income.total", "name.given"],
            },
            *({**bank, "principal": child} for child in children),
        ],
        key=lambda record: record["principal"],
    )


def test_the_citizens_own_reads_leave_no_record(platform: Platform, people: People) -> None:
    own = platform.own_token(people.stranger)
    trace, response = _traced(
        platform, "{ me { name { given } income { total } address { city } } }", own
    )
    assert response.status_code == 200 and response.json()["data"]["me"]["name"]
    assert _records(platform, trace) == []


def test_a_guardian_reading_a_childs_income_is_recorded_for_the_child(
    platform: Platform, people: People
) -> None:
    own = platform.own_token(people.parent)
    trace, response = _traced(
        platform, "{ me { family { children { personalId income { total } } } } }", own
    )
    assert response.status_code == 200, response.text
    children = response.json()["data"]["me"]["family"]["children"]
    minors = [c for c in children if is_minor(_born(c["personalId"]), date.today())]
    assert people.minor in {c["personalId"] for c in minors}

    # The parent's own family is theirs to read, and a grown child's income is FORBIDDEN
    # (null with an error: nothing disclosed). A minor's income is read by the guardian,
    # even when there is none to show (null without an error: that there is none). Each
    # child's personal identity code is identity data, disclosed through the relationship.
    def income(child: dict[str, Any]) -> list[str]:
        if child not in minors:
            return []
        return ["income.total"] if child["income"] else ["income"]

    assert _records(platform, trace) == [
        {
            "principal": child["personalId"],
            "client_id": "portal",
            "actor": people.parent,
            "categories": ["identity", "income"] if child in minors else ["identity"],
            "fields": sorted([*income(child), "personalId"]),
            "purpose": "guardianship",
            "consent_id": None,
            "mandate_id": None,
        }
        for child in sorted(children, key=lambda c: str(c["personalId"]))
    ]


def _born(personal_id: str) -> str:
    """The ISO birth date a personal ID (YYYYMMDD-NNNN) encodes."""
    day = personal_id.split("-")[0]
    return f"{day[:4]}-{day[4:6]}-{day[6:]}"


def test_the_citizen_reads_the_platforms_record_with_its_name(
    platform: Platform, people: People
) -> None:
    token, consent_id = platform.platform_token(people.spouse, ["income"], ["income"])
    trace, response = _traced(platform, "{ me { income { total } } }", token)
    assert response.status_code == 200
    body = platform.graphql(LOG, platform.own_token(people.spouse), platform="bank")
    assert "errors" not in body, body
    log = body["data"]["me"]["dataAccessLog"]
    newest = log["edges"][0]["node"]
    assert newest.pop("occurredAt")
    assert newest == {
        "platform": {"clientId": "bank", "name": "Example Bank"},
        "purpose": "Mortgage application",
        "categories": ["income"],
        "fields": ["income.total"],
        "actorId": None,
        "consentId": consent_id,
        "traceId": trace,
    }
    assert log["totalCount"] >= 1


def test_a_guardian_reads_the_log_of_a_child_in_their_care(
    platform: Platform, people: People
) -> None:
    own = platform.own_token(people.parent)
    trace, response = _traced(platform, "{ me { family { children { income { total } } } } }", own)
    assert response.status_code == 200
    body = platform.graphql(
        "query($id: ID!) { citizen(personalId: $id) { dataAccessLog { edges { node { "
        "platform { clientId } actorId purpose traceId } } } } }",
        own,
        id=people.minor,
    )
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["citizen"]["dataAccessLog"]["edges"]]
    assert {
        "platform": {"clientId": "portal"},
        "actorId": people.parent,
        "purpose": "guardianship",
        "traceId": trace,
    } in nodes
    # Someone else's child's log is not theirs to read.
    stranger = platform.own_token(people.stranger)
    refused = platform.graphql(
        "query($id: ID!) { citizen(personalId: $id) { dataAccessLog { totalCount } } }",
        stranger,
        id=people.minor,
    )
    assert refused["data"]["citizen"] is None


def test_with_the_log_out_of_reach_a_platforms_read_is_refused(
    platform: Platform, people: People
) -> None:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        closed = probe.getsockname()[1]  # nothing listens there once the probe is closed
    token, _ = platform.platform_token(people.parent, ["income"], ["income"])
    own = platform.own_token(people.parent)
    unreachable = f"http://{HOST}:{closed}/access-log/disclosures"
    with another_gateway(platform, CITIZEN_DISCLOSURE_URL=unreachable) as url:
        trace, response = _traced(platform, "{ me { income { total } } }", token, url)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert "data" not in body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["DISCLOSURE_LOG_UNAVAILABLE"]
        # The citizen's own read records nothing, so it needs no log.
        _, mine = _traced(platform, "{ me { income { total } } }", own, url)
        assert mine.status_code == 200 and mine.json()["data"]["me"]["income"] is not None
    assert _records(platform, trace) == []


def test_the_log_verifies_after_all_of_it(platform: Platform) -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CITIZEN_", "GATEWAY_", "AUTH_"))
    }
    answer = subprocess.run(
        [sys.executable, "-m", "auth", "verify-log"],
        cwd=ROOT,
        env={**environment, "CITIZEN_DATA_DIR": str(platform.data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert answer.stdout.startswith("access log intact: ")
