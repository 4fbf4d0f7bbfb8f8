"""Every access token says on what authority it speaks (`authority`), and a citizen's own
token names the minors in their care (`guardian_of`); the platform's @policy decisions read
those claims. The development token endpoint exists only in development."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from auth.app import create_app
from auth.policies import decide
from tests.auth.conftest import RunningAuth, gateway_trust, make_settings
from tests.auth.support import (
    ANNA,
    BEN,
    CARA,
    DAN,
    Pkce,
    authorize,
    decode_unverified,
    free_port,
    gateway_claims,
    serve,
)
from tests.auth.test_flow import bank_params, code_for, token
from tests.auth.test_token_exchange import exchange, portal_token
from tests.subgraphs.gateway_tokens import TestGateway


def test_a_citizens_own_token_is_self_and_names_only_minor_wards(
    auth_server: RunningAuth,
) -> None:
    claims = decode_unverified(portal_token(auth_server, ANNA))
    assert claims["authority"] == "self"
    # Cara turned 18 yesterday: no longer in Anna's care.
    assert claims["guardian_of"] == [BEN]
    assert CARA not in claims["guardian_of"]
    assert decode_unverified(portal_token(auth_server, DAN))["guardian_of"] == []


def test_a_platform_token_speaks_by_consent_and_names_no_wards(auth_server: RunningAuth) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        code = code_for(http, pkce, ["income"])
        answer = token(
            http,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": bank_params(pkce)["redirect_uri"],
                "code_verifier": pkce.verifier,
            },
        )
    claims = gateway_claims(answer.json()["access_token"], auth_server.gateway.decryption)
    assert claims["authority"] == "consent" and claims["consent_id"]
    assert "guardian_of" not in claims


def test_delegated_tokens_speak_by_guardianship_or_mandate(auth_server: RunningAuth) -> None:
    anna = portal_token(auth_server, ANNA)
    with auth_server.client() as http:
        claims = decode_unverified(exchange(http, anna, BEN).json()["access_token"])
    assert (claims["sub"], claims["authority"]) == (BEN, "guardianship")
    assert "guardian_of" not in claims


def test_the_development_endpoint_mints_what_a_signed_in_citizen_gets(
    auth_server: RunningAuth,
) -> None:
    with auth_server.client() as http:
        answer = http.post("/dev/token", data={"personal_id": ANNA})
        unknown = http.post("/dev/token", data={"personal_id": "000000-000X"})
        verified = auth_server.ctx.verifier.decode(answer.json()["access_token"])
        introspected = http.post(
            "/introspect",
            data={"token": answer.json()["access_token"]},
            auth=("gateway", "gateway-secret-for-tests-only"),
        ).json()
    assert answer.status_code == 200
    assert (verified["sub"], verified["authority"], verified["guardian_of"]) == (
        ANNA,
        "self",
        [BEN],
    )
    assert "income:read" in verified["scope"].split()
    assert introspected["active"] is True, "recorded like any token"
    assert unknown.status_code == 400


def test_there_is_no_development_endpoint_in_production(
    tmp_path: Path, gateway: TestGateway
) -> None:
    port = free_port()
    settings = make_settings(
        tmp_path,
        port,
        CITIZEN_ENV="production",
        eid_issuer="https://eid.invalid",
        eid_client_id="citizen-account",
        eid_client_secret="eid-secret-for-tests",
    )
    with serve(create_app(settings, gateway=gateway_trust(gateway)), port) as url:
        answer = httpx.post(f"{url}/dev/token", data={"personal_id": ANNA})
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("authority", "allowed"),
    [
        ("self", {"citizen:self"}),
        ("consent", {"citizen:platform"}),
        ("mandate", {"citizen:delegate"}),
        ("guardianship", {"citizen:guardian"}),
        ("sign-in", set()),
        (None, set()),
    ],
)
def test_policies_follow_the_authority_claim(authority: str | None, allowed: set[str]) -> None:
    policies = frozenset(
        {"citizen:self", "citizen:platform", "citizen:delegate", "citizen:guardian", "unknown"}
    )
    claims = {"sub": "x"} if authority is None else {"sub": "x", "authority": authority}
    decisions = decide(claims, policies)
    assert {name for name, ok in decisions.items() if ok} == allowed
    assert set(decisions) == policies
    assert decide(None, policies) == dict.fromkeys(policies, False)


def test_only_the_citizen_accounts_own_apps_are_given_the_account_scope(
    auth_server: RunningAuth,
) -> None:
    pkce = Pkce.new()
    with auth_server.client() as http:
        refused = authorize(
            http, bank_params(pkce, scope="openid account:manage"), ANNA, ["income"]
        )
    assert refused["error"] == "invalid_scope"
    assert "code" not in refused
    portal = decode_unverified(portal_token(auth_server, ANNA, scope="openid account:manage"))
    assert "account:manage" in portal["scope"].split()
    assert "account:manage" not in decode_unverified(portal_token(auth_server, DAN))["scope"]
