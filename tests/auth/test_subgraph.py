"""The consent subgraph: a citizen's own consents, mandates and access log, nobody else's."""

from __future__ import annotations

from auth.subgraph import schema
from tests.auth.conftest import RunningAuth
from tests.auth.support import ANNA, DAN, Pkce, decode_unverified
from tests.auth.test_flow import GATEWAY, code_for, token
from tests.auth.test_refusals import exchange_code
from tests.auth.test_token_exchange import graphql, portal_token

CITIZEN = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Citizen {
  personalId
  consents { id status categories purposes platform { clientId name } receipt }
  mandates { id status }
  dataAccessLog(first: 2) {
    edges { cursor node { clientId categories fields purpose consentId traceId } }
    pageInfo { hasNextPage endCursor }
  }
} } }"""


def test_sdl_extends_citizen_by_key() -> None:
    sdl = schema.as_str()
    assert 'type Citizen @key(fields: "personalId")' in sdl
    assert (
        "dataAccessLog(first: Int = 20, after: String = null): AccessLogConnection! "
        '@policy(policies: [["citizen:self"]])'
    ) in sdl
    assert 'consents: [Consent!]! @policy(policies: [["citizen:self"]])' in sdl
    assert 'mandates: [Mandate!]! @policy(policies: [["citizen:self"]])' in sdl
    for mutation in ("grantMandate", "acceptMandate", "revokeMandate", "revokeConsent"):
        line = next(line for line in sdl.splitlines() if line.strip().startswith(mutation))
        assert line.endswith('@policy(policies: [["citizen:self"]])'), line


def test_citizen_manages_consents_and_reads_the_log(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income"])
        bank = exchange_code(http, code, pkce.verifier).json()
        consent_id = decode_unverified(bank["access_token"])["consent_id"]
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

        anna = portal_token(auth_server, ANNA)
        reps = [{"__typename": "Citizen", "personalId": ANNA}]
        body = graphql(http, anna, CITIZEN, reps=reps)
        assert "errors" not in body, body
        citizen = body["data"]["_entities"][0]  # type: ignore[index]
        assert citizen["consents"][0]["id"] == consent_id
        assert citizen["consents"][0]["categories"] == ["INCOME"]
        assert citizen["consents"][0]["platform"]["name"] == "Example Bank"
        log = citizen["dataAccessLog"]
        assert [e["node"]["traceId"] for e in log["edges"]] == ["trace-2", "trace-1"]
        assert log["pageInfo"]["hasNextPage"] is True

        # Dan cannot read Anna's records; a platform's consent-bound token cannot either.
        dan = portal_token(auth_server, DAN)
        denied = graphql(http, dan, CITIZEN, reps=reps)
        assert denied["errors"]
        assert graphql(http, bank["access_token"], CITIZEN, reps=reps)["errors"]

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
