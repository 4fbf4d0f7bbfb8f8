"""RFC 8693 delegation over real HTTP: a mandate, a guardianship, and their refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from auth.guardianship import majority_date
from tests.auth.conftest import RunningAuth
from tests.auth.support import (
    ANNA,
    BEN,
    CARA,
    DAN,
    EVA,
    PEOPLE,
    PORTAL_SECRET,
    Pkce,
    authorize,
    decode_unverified,
)
from tests.auth.test_flow import GATEWAY

PORTAL_REDIRECT = "https://portal.example/callback"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PERSONAL_ID = "urn:citizen-account:params:oauth:token-type:personal-id"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


def portal_token(auth_server: RunningAuth, personal_id: str, scope: str = "openid") -> str:
    """The citizen signs in to the first-party portal: no consent page; by default no data
    scopes."""
    pkce = Pkce.new()
    with auth_server.client() as http:
        answer = authorize(
            http,
            {
                "response_type": "code",
                "client_id": "portal",
                "redirect_uri": PORTAL_REDIRECT,
                "scope": scope,
                "state": "s",
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
            },
            personal_id,
            None,
        )
        body = http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": PORTAL_REDIRECT,
                "code_verifier": pkce.verifier,
                "client_id": "portal",
                "client_secret": PORTAL_SECRET,
            },
        ).json()
    return str(body["access_token"])


def exchange(http: httpx.Client, actor_token: str, principal: str, **extra: str) -> httpx.Response:
    return http.post(
        "/token",
        data={
            "grant_type": EXCHANGE,
            "subject_token": principal,
            "subject_token_type": PERSONAL_ID,
            "actor_token": actor_token,
            "actor_token_type": ACCESS_TOKEN,
            "client_id": "portal",
            "client_secret": PORTAL_SECRET,
            **extra,
        },
    )


def graphql(http: httpx.Client, token: str, query: str, **variables: object) -> dict[str, object]:
    """Post to the consent subgraph with `token`, the gateway's identity token for it."""
    answer = http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


GRANT = """mutation($delegate: ID!, $themes: [DataCategory!]!, $until: DateTime!) {
  grantMandate(delegate: $delegate, themes: $themes, validUntil: $until) { id status }
}"""
ACCEPT = "mutation($id: ID!) { acceptMandate(id: $id) { id status } }"
REVOKE = "mutation($id: ID!) { revokeMandate(id: $id) { id status } }"


def test_mandate_exchange_through_the_subgraph(auth_server: RunningAuth) -> None:
    dan = portal_token(auth_server, DAN)
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    with auth_server.client() as http:
        granted = graphql(
            http,
            auth_server.subgraph_token(EVA),
            GRANT,
            delegate=DAN,
            themes=["TAX", "INCOME"],
            until=until,
        )
        mandate = granted["data"]["grantMandate"]  # type: ignore[index]
        assert mandate["status"] == "PENDING"

        # Not effective before the delegate accepts.
        pending = exchange(http, dan, EVA)
        assert pending.status_code == 400 and pending.json()["error"] == "invalid_request"
        assert "not been accepted" in pending.json()["error_description"]

        accepted = graphql(http, auth_server.subgraph_token(DAN), ACCEPT, id=mandate["id"])
        assert accepted["data"]["acceptMandate"]["status"] == "ACTIVE"  # type: ignore[index]

        answer = exchange(http, dan, EVA)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["issued_token_type"] == ACCESS_TOKEN and "refresh_token" not in body
        claims = decode_unverified(body["access_token"])
        assert claims["sub"] == EVA and claims["act"] == {"sub": DAN}
        assert set(claims["scope"].split()) == {"tax:read", "income:read"}
        assert claims["mandate_id"] == mandate["id"] and claims["delegation"] == "mandate"

        narrower = exchange(http, dan, EVA, scope="tax:read")
        assert decode_unverified(narrower.json()["access_token"])["scope"] == "tax:read"
        wider = exchange(http, dan, EVA, scope="tax:read vehicles:read")
        assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"

        # Someone else's token cannot be used to act, nor can a delegated one be re-delegated.
        again = exchange(http, body["access_token"], EVA)
        assert again.status_code == 400 and again.json()["error"] == "invalid_request"

        # The principal revokes: the delegated token dies on the next request.
        graphql(http, auth_server.subgraph_token(EVA), REVOKE, id=mandate["id"])
        introspected = http.post("/introspect", data={"token": body["access_token"]}, auth=GATEWAY)
        assert introspected.json() == {"active": False}
        refused = exchange(http, dan, EVA)
        assert refused.json()["error"] == "invalid_request"
        assert "revoked" in refused.json()["error_description"]
    revoked = auth_server.call(auth_server.ctx.mandates.get(mandate["id"]))
    assert revoked is not None and revoked.status() == "REVOKED"


def test_expired_mandate_is_refused(auth_server: RunningAuth) -> None:
    ctx = auth_server.ctx
    past = time.time() - 10 * 86400
    mandate = auth_server.call(
        ctx.mandates.grant(EVA, DAN, ["tax"], valid_until=int(past + 86400), now=past)
    )
    auth_server.call(ctx.mandates.accept(mandate.id, DAN, now=past + 60))
    dan = portal_token(auth_server, DAN)
    with auth_server.client() as http:
        answer = exchange(http, dan, EVA)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert "expired" in answer.json()["error_description"]


def test_guardianship_exchange_for_a_minor(auth_server: RunningAuth) -> None:
    anna = portal_token(auth_server, ANNA)
    with auth_server.client() as http:
        answer = exchange(http, anna, BEN)
    assert answer.status_code == 200, answer.text
    claims = decode_unverified(answer.json()["access_token"])
    assert claims["sub"] == BEN and claims["act"] == {"sub": ANNA}
    assert claims["delegation"] == "guardianship" and "mandate_id" not in claims
    assert "family:read" in claims["scope"].split()
    ben = next(p for p in PEOPLE if p.personal_id == BEN)
    assert ben.date_of_birth is not None
    birthday = datetime.combine(majority_date(ben.date_of_birth), datetime.min.time(), UTC)
    assert claims["exp"] <= birthday.timestamp()


def test_child_turned_18_is_refused(auth_server: RunningAuth) -> None:
    anna = portal_token(auth_server, ANNA)
    with auth_server.client() as http:
        answer = exchange(http, anna, CARA)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert "turned 18" in answer.json()["error_description"]


def test_no_authority_and_bad_requests(auth_server: RunningAuth) -> None:
    dan = portal_token(auth_server, DAN)
    with auth_server.client() as http:
        answer = exchange(http, dan, ANNA)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
        assert "No valid mandate or guardianship" in answer.json()["error_description"]
        wrong_type = exchange(http, dan, ANNA, subject_token_type=ACCESS_TOKEN)
        assert wrong_type.json()["error"] == "invalid_request"
        bad_actor = exchange(http, "not-a-token", ANNA)
        assert bad_actor.json()["error"] == "invalid_request"
        target = exchange(http, dan, ANNA, audience="https://elsewhere.example")
        assert target.json()["error"] == "invalid_target"
        # A platform without the grant type may not exchange at all.
        bank = http.post(
            "/token",
            data={"grant_type": EXCHANGE, "subject_token": ANNA},
            auth=("bank", "bank-secret-for-tests-only"),
        )
        assert bank.json()["error"] == "unauthorized_client"
