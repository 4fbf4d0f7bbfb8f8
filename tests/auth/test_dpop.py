"""DPoP (RFC 9449) at the authorization server, driven by Authlib's OAuth 2 client over real
HTTP: a proof on the token request binds the access token (cnf.jkt, token_type DPoP) and a
public client's refresh token; userinfo then wants the proof; `dpop_jkt` binds a code; a
client registered with `dpop_bound_access_tokens` gets nothing without a proof."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.migrations import migrate
from tests.auth.conftest import RunningAuth
from tests.auth.support import (
    ANNA,
    BANK_REDIRECT,
    PLATFORM_SECRET,
    authorize,
    citizen_data,
    gateway_claims,
)
from tests.gateway.kit.dpop import DpopKey

HOUSING_REDIRECT = "http://127.0.0.1/housing/callback"


def _sealed_claims(auth: RunningAuth, access_token: str) -> dict[str, Any]:
    """A platform's access token as the gateway opens it (the platform cannot)."""
    return gateway_claims(access_token, auth.gateway.decryption)


def _bank() -> OAuth2Client:
    return OAuth2Client(
        "bank",
        PLATFORM_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uri=BANK_REDIRECT,
        code_challenge_method="S256",
    )


def _housing() -> OAuth2Client:
    return OAuth2Client(
        "housing-app",
        token_endpoint_auth_method="none",
        redirect_uri=HOUSING_REDIRECT,
        code_challenge_method="S256",
    )


def _code(auth: RunningAuth, client: OAuth2Client, **extra: str) -> tuple[str, str]:
    """Authlib builds the authorization request; the citizen signs in and approves income.
    Returns the code and the PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    uri, _ = client.create_authorization_url(
        f"{auth.url}/authorize",
        code_verifier=verifier,
        scope="openid",
        authorization_details=citizen_data(["income"]),
        **extra,
    )
    params = dict(parse_qsl(urlsplit(uri).query))
    with auth.client() as http:
        answer = authorize(http, params, ANNA, ["income"])
    assert "code" in answer, answer
    return answer["code"], verifier


def _token(
    auth: RunningAuth, client: OAuth2Client, key: DpopKey | None, **extra: str
) -> dict[str, Any]:
    code, verifier = _code(auth, client, **extra)
    headers = {"DPoP": key.proof("POST", f"{auth.url}/token")} if key else {}
    return dict(
        client.fetch_token(f"{auth.url}/token", code=code, code_verifier=verifier, headers=headers)
    )


def _userinfo(auth: RunningAuth, headers: dict[str, str], method: str = "GET") -> httpx.Response:
    return httpx.request(method, f"{auth.url}/userinfo", headers=headers, timeout=10)


def test_discovery_names_the_proof_algorithms(auth_server: RunningAuth) -> None:
    document = httpx.get(f"{auth_server.url}/.well-known/openid-configuration").json()
    assert document["dpop_signing_alg_values_supported"] == ["ES256", "PS256", "EdDSA"]


def test_a_proof_at_the_token_endpoint_binds_the_access_token_to_the_key(
    auth_server: RunningAuth,
) -> None:
    key = DpopKey()
    with _bank() as bank:
        token = _token(auth_server, bank, key)
    assert token["token_type"] == "DPoP"
    assert _sealed_claims(auth_server, token["access_token"])["cnf"] == {"jkt": key.jkt}
    # Introspection tells a resource server the key (RFC 9449 §6.2).
    introspected = httpx.post(
        f"{auth_server.url}/introspect",
        data={"token": token["access_token"]},
        auth=("bank", PLATFORM_SECRET),
    ).json()
    assert (introspected["token_type"], introspected["cnf"]) == ("DPoP", {"jkt": key.jkt})


def test_without_a_proof_tokens_stay_bearer(auth_server: RunningAuth) -> None:
    with _bank() as bank:
        token = _token(auth_server, bank, None)
    assert token["token_type"] == "Bearer"
    assert "cnf" not in _sealed_claims(auth_server, token["access_token"])
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert _userinfo(auth_server, bearer).status_code == 200


def test_userinfo_wants_a_bound_tokens_proof(auth_server: RunningAuth) -> None:
    key, thief = DpopKey(), DpopKey()
    with _bank() as bank:
        access = _token(auth_server, bank, key)["access_token"]
    url = f"{auth_server.url}/userinfo"
    proof = key.proof("GET", url, access_token=access)
    ok = _userinfo(auth_server, {"Authorization": f"DPoP {access}", "DPoP": proof})
    assert ok.status_code == 200, ok.headers
    assert ok.json()["sub"] not in ("", ANNA)  # the bank's pairwise subject for Anna
    post = key.proof("POST", url, access_token=access)
    assert _userinfo(
        auth_server, {"Authorization": f"DPoP {access}", "DPoP": post}, "POST"
    ).is_success

    refusals = [
        ({"Authorization": f"Bearer {access}"}, "invalid_token", "DPoP-bound"),
        ({"Authorization": f"DPoP {access}"}, "invalid_dpop_proof", "no DPoP proof"),
        ({"Authorization": f"DPoP {access}", "DPoP": proof}, "invalid_dpop_proof", "used before"),
        (
            {
                "Authorization": f"DPoP {access}",
                "DPoP": key.proof("POST", url, access_token=access),
            },
            "invalid_dpop_proof",
            "another method",
        ),
        (
            {
                "Authorization": f"DPoP {access}",
                "DPoP": thief.proof("GET", url, access_token=access),
            },
            "invalid_dpop_proof",
            "another key",
        ),
        (
            {"Authorization": f"DPoP {access}", "DPoP": key.proof("GET", url)},
            "invalid_dpop_proof",
            "ath",
        ),
    ]
    for headers, error, reason in refusals:
        refused = _userinfo(auth_server, headers)
        assert refused.status_code == 401, (reason, refused.text)
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith(f'DPoP error="{error}"'), challenge
        assert reason in challenge and 'algs="ES256 PS256 EdDSA"' in challenge
    # No credentials at all: either scheme is offered.
    assert _userinfo(auth_server, {}).headers["www-authenticate"].startswith("Bearer, DPoP algs=")


def test_a_bad_proof_at_the_token_endpoint_is_invalid_dpop_proof(
    auth_server: RunningAuth,
) -> None:
    key = DpopKey()
    token_url = f"{auth_server.url}/token"
    used = key.proof("POST", token_url)
    for proof, reason in [
        (key.proof("POST", f"{auth_server.url}/userinfo"), "another URL"),
        (key.proof("GET", token_url), "another method"),
        (key.proof("POST", token_url, iat=1_700_000_000), "has expired"),
        (key.proof("POST", token_url, header={"typ": "JWT"}), "typ"),
    ]:
        with _bank() as bank, pytest.raises(OAuthError) as refused:
            code, verifier = _code(auth_server, bank)
            bank.fetch_token(token_url, code=code, code_verifier=verifier, headers={"DPoP": proof})
        assert refused.value.error == "invalid_dpop_proof", reason
        assert reason in str(refused.value.description)
    with _bank() as bank:
        code, verifier = _code(auth_server, bank)
        bank.fetch_token(token_url, code=code, code_verifier=verifier, headers={"DPoP": used})
        code, verifier = _code(auth_server, bank)
        with pytest.raises(OAuthError, match="used before"):
            bank.fetch_token(token_url, code=code, code_verifier=verifier, headers={"DPoP": used})


def test_a_public_clients_refresh_token_is_bound_to_its_key(auth_server: RunningAuth) -> None:
    key, thief = DpopKey(), DpopKey()
    token_url = f"{auth_server.url}/token"
    with _housing() as housing:
        token = _token(auth_server, housing, key)
        refresh = token["refresh_token"]
        for headers, reason in [
            ({}, "no DPoP proof"),
            ({"DPoP": thief.proof("POST", token_url)}, "another key"),
        ]:
            with pytest.raises(OAuthError) as refused:
                housing.refresh_token(token_url, refresh_token=refresh, headers=headers)
            assert refused.value.error == "invalid_dpop_proof"
            assert reason in str(refused.value.description)
        # The refusals did not use the token up: its holder refreshes with the key.
        renewed = housing.refresh_token(
            token_url, refresh_token=refresh, headers={"DPoP": key.proof("POST", token_url)}
        )
    assert renewed["token_type"] == "DPoP"
    assert _sealed_claims(auth_server, renewed["access_token"])["cnf"] == {"jkt": key.jkt}
    assert renewed["refresh_token"] != refresh


def test_a_confidential_clients_refresh_token_is_bound_by_its_authentication(
    auth_server: RunningAuth,
) -> None:
    """RFC 9449 §5: the client's secret already constrains it; each refresh binds the new
    access token to the key it proves, if any."""
    key, new_key = DpopKey(), DpopKey()
    token_url = f"{auth_server.url}/token"
    with _bank() as bank:
        token = _token(auth_server, bank, key)
        renewed = bank.refresh_token(
            token_url,
            refresh_token=token["refresh_token"],
            headers={"DPoP": new_key.proof("POST", token_url)},
        )
    assert _sealed_claims(auth_server, renewed["access_token"])["cnf"] == {"jkt": new_key.jkt}


def test_dpop_jkt_on_the_authorization_request_binds_the_code(auth_server: RunningAuth) -> None:
    key, other = DpopKey(), DpopKey()
    token_url = f"{auth_server.url}/token"
    with _bank() as bank:
        code, verifier = _code(auth_server, bank, dpop_jkt=key.jkt)
        with pytest.raises(OAuthError) as refused:
            bank.fetch_token(
                token_url,
                code=code,
                code_verifier=verifier,
                headers={"DPoP": other.proof("POST", token_url)},
            )
        assert refused.value.error == "invalid_dpop_proof"
        token = _token(auth_server, bank, key, dpop_jkt=key.jkt)
    assert _sealed_claims(auth_server, token["access_token"])["cnf"] == {"jkt": key.jkt}


@pytest.fixture
def registered(auth_server: RunningAuth) -> Iterator[OAuth2Client]:
    """A platform that registered itself (RFC 7591) asking for DPoP-bound tokens only."""
    metadata = {
        "client_name": "Strict Bank",
        "redirect_uris": [BANK_REDIRECT],
        "purpose": "Mortgage application",
        "data_categories": ["income"],
        "dpop_bound_access_tokens": True,
    }
    answer = httpx.post(
        f"{auth_server.url}/register",
        json=metadata,
        headers={"Authorization": f"Bearer {auth_server.settings.admin_token}"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["dpop_bound_access_tokens"] is True
    with OAuth2Client(
        answer.json()["client_id"],
        answer.json()["client_secret"],
        redirect_uri=BANK_REDIRECT,
        code_challenge_method="S256",
    ) as client:
        yield client


def test_a_client_registered_for_bound_tokens_gets_none_without_a_proof(
    auth_server: RunningAuth, registered: OAuth2Client
) -> None:
    with pytest.raises(OAuthError) as refused:
        _token(auth_server, registered, None)
    assert refused.value.error == "invalid_dpop_proof"
    token = _token(auth_server, registered, DpopKey())
    assert token["token_type"] == "DPoP"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
async def test_a_database_from_before_dpop_gains_the_binding_columns(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        for table in ("tokens", "authorization_codes"):
            await connection.execute(text(f"ALTER TABLE {table} DROP COLUMN dpop_jkt"))
        await connection.execute(text("DELETE FROM schema_migrations WHERE version = 2"))
        assert await connection.run_sync(migrate) == [2]
        for table in ("tokens", "authorization_codes"):
            await connection.execute(text(f"SELECT dpop_jkt FROM {table}"))
        assert await connection.run_sync(migrate) == []
