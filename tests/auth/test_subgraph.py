"""The consent subgraph: a citizen's own consents, mandates and access log, nobody else's, for
whoever the gateway's identity token says is asking."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from auth.app import create_app
from auth.subgraph import schema
from subgraphs.common.personal_id import format_personal_id
from subgraphs.common.settings import ConfigurationError, GatewayTrust
from tests.auth.conftest import RunningAuth, make_settings
from tests.auth.support import (
    ANNA,
    BEN,
    DAN,
    Pkce,
    authorize,
    free_port,
    gateway_claims,
    years_ago,
)
from tests.auth.test_flow import GATEWAY, bank_params, code_for, token
from tests.auth.test_refusals import exchange_code
from tests.auth.test_token_exchange import GRANT, graphql, portal_token
from tests.subgraphs.gateway_tokens import Caller

CITIZEN = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Citizen {
  personalId
  consents { id status categories purposes platform { clientId name } receipt }
  mandates { id status }
  dataAccessLog(first: 2) {
    edges { cursor node { clientId categories fields purpose consentId traceId } }
    pageInfo { hasNextPage endCursor }
  }
} } }"""
ANNAS = [{"__typename": "Citizen", "personalId": ANNA}]


def test_sdl_extends_citizen_by_key() -> None:
    sdl = schema.as_str()
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert (
        "dataAccessLog(first: Int = 20, after: String = null, platform: String = null, "
        "from: DateTime = null, to: DateTime = null): AccessLogConnection! "
        '@listSize(slicingArguments: ["first"], sizedFields: ["edges"]) '
        '@policy(policies: [["citizen:self"]])'
    ) in sdl
    manage = '@policy(policies: [["citizen:self"]]) @requiresScopes(scopes: [["account:manage"]])'
    assert f"consents: [Consent!]! @listSize(assumedSize: 20) {manage}" in sdl
    assert f"mandates: [Mandate!]! @listSize(assumedSize: 20) {manage}" in sdl
    for mutation in ("grantMandate", "acceptMandate", "revokeMandate"):
        line = next(line for line in sdl.splitlines() if line.strip().startswith(mutation))
        assert line.endswith(manage), line
    line = next(line for line in sdl.splitlines() if line.strip().startswith("revokeConsent"))
    assert line.endswith('@policy(policies: [["citizen:self"], ["citizen:platform"]])'), line


def test_citizen_manages_consents_and_reads_the_log(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income"])
        bank = exchange_code(http, code, pkce.verifier).json()
        consent_id = gateway_claims(bank["access_token"], auth_server.gateway.decryption)[
            "consent_id"
        ]
        disclosures = [
            {
                "principal": ANNA,
                "client_id": "bank",
                "categories": ["income"],
                "fields": ["Citizen.income"],
                "purpose": "Mortgage application",
                "consent_id": consent_id,
                "trace_id": f"trace-{i}",
            }
            for i in range(3)
        ]
        recorded = http.post("/access-log/disclosures", json=disclosures, auth=GATEWAY)
        assert recorded.status_code == 201 and len(recorded.json()["recorded"]) == 3
        assert (
            http.post("/access-log/disclosures", json=disclosures, auth=("bank", "x")).status_code
            == 401
        )

        anna = auth_server.subgraph_token(ANNA)
        body = graphql(http, anna, CITIZEN, reps=ANNAS)
        assert "errors" not in body, body
        citizen = body["data"]["_entities"][0]  # type: ignore[index]
        assert citizen["consents"][0]["id"] == consent_id
        assert citizen["consents"][0]["categories"] == ["INCOME"]
        assert citizen["consents"][0]["platform"]["name"] == "Example Bank"
        log = citizen["dataAccessLog"]
        assert [e["node"]["traceId"] for e in log["edges"]] == ["trace-2", "trace-1"]
        assert log["pageInfo"]["hasNextPage"] is True

        revoked = graphql(
            http,
            anna,
            "mutation($id: ID!) { revokeConsent(id: $id) { status } }",
            id=consent_id,
        )
        assert revoked["data"]["revokeConsent"]["status"] == "REVOKED"  # type: ignore[index]
        refreshed = token(
            http, {"grant_type": "refresh_token", "refresh_token": bank["refresh_token"]}
        )
        assert refreshed.json()["error"] == "invalid_grant"
    assert auth_server.call(auth_server.ctx.access_log.verify_chain()).ok


LOG = """query($reps: [_Any!]!, $platform: String, $from: DateTime, $to: DateTime) {
  _entities(representations: $reps) { ... on Citizen {
    dataAccessLog(first: 2, platform: $platform, from: $from, to: $to) {
      totalCount
      edges { node { platform { clientId name } purpose categories fields actorId traceId } }
      pageInfo { hasNextPage }
    }
} } }"""


def _log_of(
    auth_server: RunningAuth, caller: Caller, personal_id: str, **variables: object
) -> dict[str, object]:
    with auth_server.client() as http:
        return graphql(
            http,
            auth_server.subgraph_token(caller),
            LOG,
            reps=[{"__typename": "Citizen", "personalId": personal_id}],
            **variables,
        )


def _record(auth_server: RunningAuth, principal: str, client_id: str, n: int, when: int) -> None:
    auth_server.call(
        auth_server.ctx.access_log.record_disclosure(
            principal=principal,
            client_id=client_id,
            categories=["income"],
            fields=["income.total"],
            purpose=f"purpose {n}",
            trace_id=f"trace-{n}",
            occurred_at=when,
        )
    )


def test_the_log_names_each_platform_and_filters_by_platform_and_time(
    auth_server: RunningAuth,
) -> None:
    for n, (client, when) in enumerate([("bank", 1000), ("portal", 2000), ("bank", 3000)]):
        _record(auth_server, ANNA, client, n, when)
    body = _log_of(auth_server, Caller(ANNA), ANNA)
    log = body["data"]["_entities"][0]["dataAccessLog"]  # type: ignore[index]
    assert log["totalCount"] == 3 and log["pageInfo"]["hasNextPage"] is True
    assert [e["node"] for e in log["edges"]] == [
        {
            "platform": {"clientId": "bank", "name": "Example Bank"},
            "purpose": "purpose 2",
            "categories": ["income"],
            "fields": ["income.total"],
            "actorId": None,
            "traceId": "trace-2",
        },
        {
            "platform": {"clientId": "portal", "name": "Citizen portal"},
            "purpose": "purpose 1",
            "categories": ["income"],
            "fields": ["income.total"],
            "actorId": None,
            "traceId": "trace-1",
        },
    ]

    def traces(**variables: object) -> tuple[int, list[str]]:
        body = _log_of(auth_server, Caller(ANNA), ANNA, **variables)
        log = body["data"]["_entities"][0]["dataAccessLog"]  # type: ignore[index]
        return log["totalCount"], [e["node"]["traceId"] for e in log["edges"]]

    assert traces(platform="bank") == (2, ["trace-2", "trace-0"])
    assert traces(**{"from": "1970-01-01T00:33:20Z"}) == (2, ["trace-2", "trace-1"])
    assert traces(to="1970-01-01T00:33:20Z") == (2, ["trace-1", "trace-0"])
    assert traces(platform="nobody") == (0, [])


def test_a_guardian_reads_the_log_of_a_minor_in_their_care_on_their_own_token(
    auth_server: RunningAuth,
) -> None:
    # Subgraphs tell a minor by the birth date the personal ID encodes (YYYYMMDD-NNNN).
    minor = format_personal_id(years_ago(10), 1)
    grown = format_personal_id(years_ago(18, days=1), 2)
    guardian = Caller(ANNA, guardian_of=(minor, grown))
    _record(auth_server, minor, "bank", 0, 1000)
    body = _log_of(auth_server, guardian, minor)
    assert "errors" not in body, body
    assert body["data"]["_entities"][0]["dataAccessLog"]["totalCount"] == 1  # type: ignore[index]
    # Turned 18: the log is their own now.
    body = _log_of(auth_server, guardian, grown)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]  # type: ignore[index, union-attr]
    # Not on the child's token the guardian exchanged for: that is not the citizen's own.
    body = _log_of(auth_server, Caller(minor, actor=ANNA, delegation="guardianship"), minor)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]  # type: ignore[index, union-attr]


# Tokens that do not speak for a citizen directly, and what each gets.
# fmt: off
NOT_OWN = [
    # token                                                          code
    (Caller(ANNA, consent_id="cns-1"),                               "FORBIDDEN"),
    (Caller(ANNA, actor=DAN, delegation="mandate", mandate_id="m"),  "FORBIDDEN"),
    (Caller(ANNA, actor=DAN, delegation="guardianship"),             "FORBIDDEN"),
    (Caller(),                                                       "UNAUTHENTICATED"),
]
# fmt: on
# And own tokens of someone else, though they be guardian of the citizen.
REFUSED = [*NOT_OWN, (Caller(DAN), "FORBIDDEN"), (Caller(DAN, guardian_of=(ANNA,)), "FORBIDDEN")]
ENTITY = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Citizen { %s } } }"


@pytest.mark.parametrize(("caller", "code"), REFUSED)
def test_anyone_but_the_citizen_on_their_own_token_is_refused(
    auth_server: RunningAuth, caller: Caller, code: str
) -> None:
    with auth_server.client() as http:
        for field in ("consents { id }", "mandates { id }", "dataAccessLog { edges { cursor } }"):
            body = graphql(http, auth_server.subgraph_token(caller), ENTITY % field, reps=ANNAS)
            assert body["data"] == {"_entities": [None]}, body
            errors = body["errors"]
            assert [e["extensions"]["code"] for e in errors] == [code]  # type: ignore[index, union-attr]


# Tokens that may not manage the account: none of the above, nor a platform that only
# signed the citizen in, nor the citizen's own token from an app without the account scope.
NOT_MANAGING = [
    *NOT_OWN,
    (Caller(ANNA, authority="sign-in"), "FORBIDDEN"),
    (Caller(ANNA, scope="openid income:read"), "FORBIDDEN"),
]


@pytest.mark.parametrize(("caller", "code"), NOT_MANAGING)
def test_only_the_citizens_own_token_changes_anything(
    auth_server: RunningAuth, caller: Caller, code: str
) -> None:
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    with auth_server.client() as http:
        body = graphql(
            http,
            auth_server.subgraph_token(caller),
            GRANT,
            delegate=BEN,
            themes=["TAX"],
            until=until,
        )
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]  # type: ignore[index, union-attr]
    assert auth_server.call(auth_server.ctx.mandates.involving(BEN)) == []


def test_the_auth_servers_own_access_token_is_refused(auth_server: RunningAuth) -> None:
    portal = portal_token(auth_server, ANNA)
    with auth_server.client() as http:
        for headers in ({"Authorization": f"Bearer {portal}"}, {}):
            answer = http.post(
                "/graphql", json={"query": CITIZEN, "variables": {"reps": ANNAS}}, headers=headers
            )
            assert answer.status_code == 401
            assert answer.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
            assert "data" not in answer.json()
        wrong_audience = auth_server.gateway.mint("population", Caller(ANNA))
        answer = http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {wrong_audience}"},
        )
        assert answer.status_code == 401
        assert "aud must be 'consent'" in answer.json()["errors"][0]["message"]


def test_the_subgraph_does_not_start_without_the_gateways_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CITIZEN_GATEWAY_JWKS_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # away from any .env
    settings = make_settings(tmp_path, free_port())
    for gateway in (None, GatewayTrust(jwks_url=None)):
        with pytest.raises(ConfigurationError, match="CITIZEN_GATEWAY_JWKS_URL"):
            create_app(settings, gateway=gateway)


def test_health_needs_no_token(auth_server: RunningAuth) -> None:
    assert httpx.get(f"{auth_server.url}/health").status_code == 200


REVOKE_CONSENT = "mutation($id: ID!) { revokeConsent(id: $id) { id status } }"


def _bank_consent(auth_server: RunningAuth) -> str:
    pkce = Pkce.new()
    with auth_server.client() as http:
        params = bank_params(pkce, nonce=secrets.token_hex(8))
        code = authorize(http, params, ANNA, ["income"])["code"]
        bank = exchange_code(http, code, pkce.verifier).json()
    return str(gateway_claims(bank["access_token"], auth_server.gateway.decryption)["consent_id"])


def test_a_platform_withdraws_its_own_consent_and_no_other(auth_server: RunningAuth) -> None:
    held, other = _bank_consent(auth_server), _bank_consent(auth_server)
    platform = Caller(ANNA, consent_id=held)
    with auth_server.client() as http:
        refused = graphql(http, auth_server.subgraph_token(platform), REVOKE_CONSENT, id=other)
        assert refused["data"] is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]  # type: ignore[index, union-attr]
        sign_in_only = Caller(ANNA, authority="sign-in")
        refused = graphql(http, auth_server.subgraph_token(sign_in_only), REVOKE_CONSENT, id=held)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]  # type: ignore[index, union-attr]
        withdrawn = graphql(http, auth_server.subgraph_token(platform), REVOKE_CONSENT, id=held)
    assert withdrawn == {"data": {"revokeConsent": {"id": held, "status": "REVOKED"}}}
    still = auth_server.call(auth_server.ctx.consents.get(other))
    assert still is not None and still.status() == "ACTIVE"


def test_refusals_say_whose_fault_with_a_code(auth_server: RunningAuth) -> None:
    """Someone else's mandate is FORBIDDEN; a malformed request is BAD_USER_INPUT; neither
    reaches the gateway as an anonymous downstream error."""
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    with auth_server.client() as http:
        own = auth_server.subgraph_token(Caller(ANNA))
        to_self = graphql(http, own, GRANT, delegate=ANNA, themes=["TAX"], until=until)
        given = graphql(http, own, GRANT, delegate=BEN, themes=["TAX"], until=until)
        mandate = given["data"]["grantMandate"]["id"]  # type: ignore[index, call-overload]
        dans = auth_server.subgraph_token(Caller(DAN))
        not_his = graphql(
            http, dans, "mutation($id: ID!) { revokeMandate(id: $id) { id } }", id=mandate
        )
    assert [e["extensions"]["code"] for e in to_self["errors"]] == ["BAD_USER_INPUT"]  # type: ignore[index, union-attr]
    assert [e["extensions"]["code"] for e in not_his["errors"]] == ["FORBIDDEN"]  # type: ignore[index, union-attr]
