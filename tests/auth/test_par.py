"""The FAPI 2.0 path over real HTTP with Authlib's client: PAR (RFC 9126), then the
authorization endpoint with the request_uri, `iss` in the response (RFC 9207), the code
exchanged with private_key_jwt, PS256/ES256 ID tokens verified by the client, introspection
with authorization_details; and each refusal on the way."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

import auth.codes
from auth import tables
from auth.app import create_app
from auth.tokens import hash_token
from tests.auth.conftest import RunningAuth, gateway_trust, make_settings
from tests.auth.platforms import ADMIN, REDIRECT, Platform, platform_metadata, push, register
from tests.auth.support import (
    ANNA,
    Pkce,
    authorize,
    citizen_data,
    decode_header,
    free_port,
    gateway_claims,
    open_sealed,
    serve,
)
from tests.auth.test_flow import bank_params, code_for
from tests.gateway.kit.dpop import DpopKey
from tests.subgraphs.gateway_tokens import TestGateway


def _sealed_claims(auth: RunningAuth, access_token: str) -> dict[str, Any]:
    """A platform's access token as the gateway opens it (the platform cannot)."""
    return gateway_claims(access_token, auth.gateway.decryption)


def request_params(pkce: Pkce, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st-par",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "authorization_details": citizen_data(["identity", "income"], purpose="Mortgage"),
        **extra,
    }


def pushed_code(auth_server: RunningAuth, platform: Platform, pkce: Pkce) -> dict[str, str]:
    with auth_server.client() as http:
        pushed = push(http, platform, auth_server, **request_params(pkce))
        assert pushed.status_code == 201, pushed.text
        request_uri = pushed.json()["request_uri"]
        return authorize(
            http, {"client_id": platform.client_id, "request_uri": request_uri}, ANNA, ["income"]
        )


def verify_id_token(auth_server: RunningAuth, id_token: str, alg: str) -> dict[str, Any]:
    """As the platform does: the issuer's JWKS, and only the algorithm it registered."""
    keys = KeySet.import_key_set(httpx.get(f"{auth_server.url}/jwks.json").json())
    return dict(jwt.decode(id_token, keys, algorithms=[alg]).claims)


def test_fapi_platform_end_to_end_with_authlib(auth_server: RunningAuth) -> None:
    platform = register(auth_server, alg="PS256", profile="fapi2")
    registered = platform.registration
    assert registered["require_pushed_authorization_requests"] is True
    assert registered["dpop_bound_access_tokens"] is True
    assert registered["id_token_signed_response_alg"] == "PS256"
    pkce = Pkce.new()
    with platform.oauth_client(auth_server) as client:
        # PAR with Authlib's client authentication (private_key_jwt, aud = the issuer).
        pushed = client.post(
            "/par",
            data={"client_id": platform.client_id, **request_params(pkce, nonce="n-par")},
            auth=client.client_auth("private_key_jwt"),
        )
        assert pushed.status_code == 201, pushed.text
        body = pushed.json()
        assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
        assert body["expires_in"] == auth_server.settings.par_ttl
        with auth_server.client() as http:
            answer = authorize(
                http,
                {"client_id": platform.client_id, "request_uri": body["request_uri"]},
                ANNA,
                ["income", "identity"],
            )
        assert answer["iss"] == auth_server.url and answer["state"] == "st-par"

        # The profile binds every token to the platform's DPoP key.
        dpop = DpopKey()
        token = client.fetch_token(
            f"{auth_server.url}/token",
            grant_type="authorization_code",
            code=answer["code"],
            code_verifier=pkce.verifier,
            headers={"DPoP": dpop.proof("POST", f"{auth_server.url}/token")},
        )
    assert token["token_type"] == "DPoP"
    assert _sealed_claims(auth_server, token["access_token"])["cnf"] == {"jkt": dpop.jkt}
    id_claims = verify_id_token(auth_server, token["id_token"], "PS256")
    assert id_claims["aud"] == [platform.client_id] and id_claims["nonce"] == "n-par"
    assert (
        decode_header(open_sealed(token["access_token"], auth_server.gateway.decryption))["alg"]
        == "PS256"
    )

    # Introspection, authenticated the same way, says what the token may be used for.
    with platform.oauth_client(auth_server) as client:
        introspected = client.introspect_token(
            f"{auth_server.url}/introspect", token=token["access_token"]
        ).json()
    assert introspected["active"] is True
    details = introspected["authorization_details"]
    assert details[0]["type"] == "citizen_data"
    assert details[0]["datatypes"] == ["identity", "income"]


def test_es256_id_tokens_for_a_client_that_asks(auth_server: RunningAuth) -> None:
    platform = register(auth_server, id_token_signed_response_alg="ES256")
    pkce = Pkce.new()
    answer = pushed_code(auth_server, platform, pkce)
    with platform.oauth_client(auth_server) as client:
        token = client.fetch_token(
            f"{auth_server.url}/token",
            grant_type="authorization_code",
            code=answer["code"],
            code_verifier=pkce.verifier,
        )
    assert verify_id_token(auth_server, token["id_token"], "ES256")["sub"]


def test_request_uri_is_single_use_and_bound_to_its_client(auth_server: RunningAuth) -> None:
    platform = register(auth_server)
    other = register(auth_server)
    with auth_server.client() as http:
        pushed = push(http, platform, auth_server, **request_params(Pkce.new()))
        request_uri = pushed.json()["request_uri"]
        # Another client cannot use it (even signed in, even before it is used).
        code_for(http, Pkce.new(), ["income"])  # signs Anna in
        stolen = http.get(
            "/authorize", params={"client_id": other.client_id, "request_uri": request_uri}
        )
        assert stolen.status_code == 400 and "expired or was already used" in stolen.text
        params = {"client_id": platform.client_id, "request_uri": request_uri}
        assert "code" in authorize(http, params, ANNA, ["income"])
        again = http.get("/authorize", params=params)
        assert again.status_code == 400 and "expired or was already used" in again.text


def test_a_pushed_request_is_validated_and_needs_client_authentication(
    auth_server: RunningAuth,
) -> None:
    platform = register(auth_server)
    with auth_server.client() as http:
        anonymous = http.post("/par", data=bank_params(Pkce.new()))
        assert anonymous.status_code in (400, 401)
        assert anonymous.json()["error"] == "invalid_client"
        no_pkce = request_params(Pkce.new())
        del no_pkce["code_challenge"]
        refused = push(http, platform, auth_server, **no_pkce)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
        elsewhere = push(
            http,
            platform,
            auth_server,
            **request_params(Pkce.new(), redirect_uri="https://x.example/"),
        )
        assert elsewhere.status_code == 400
        nested = push(
            http, platform, auth_server, request_uri="urn:x", **request_params(Pkce.new())
        )
        assert nested.status_code == 400


def test_a_client_that_requires_par_cannot_use_the_front_channel(
    auth_server: RunningAuth,
) -> None:
    platform = register(auth_server, require_pushed_authorization_requests=True)
    with auth_server.client() as http:
        code_for(http, Pkce.new(), ["income"])  # signs Anna in
        direct = http.get(
            "/authorize", params=request_params(Pkce.new(), client_id=platform.client_id)
        )
        assert direct.status_code == 400
        assert "pushed authorization request" in direct.text
        assert "location" not in direct.headers


def test_iss_on_error_responses(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        denied = authorize(http, bank_params(Pkce.new()), ANNA, ["income"], decision="deny")
        assert denied["error"] == "access_denied" and denied["iss"] == auth_server.url
        bad = http.get(
            "/authorize",
            params=bank_params(Pkce.new(), code_challenge_method="plain"),
        )
        assert bad.status_code == 303
        assert "error=invalid_request" in bad.headers["location"]
        assert (
            f"iss={auth_server.url}".replace(":", "%3A").replace("/", "%2F")
            in (bad.headers["location"])
        )


@contextmanager
def running(tmp_path: Path, gateway: TestGateway, **overrides: object) -> Iterator[RunningAuth]:
    port = free_port()
    settings = make_settings(tmp_path, port, **overrides)
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url:
        yield RunningAuth(url, settings, app.state.ctx, tmp_path, app.state.loop, gateway)


def test_request_uri_expires(tmp_path: Path, gateway: TestGateway) -> None:
    with running(tmp_path, gateway, par_ttl=1) as auth_server:
        platform = register(auth_server)
        with auth_server.client() as http:
            pushed = push(http, platform, auth_server, **request_params(Pkce.new()))
            assert pushed.json()["expires_in"] == 1
            code_for(http, Pkce.new(), ["income"])  # signs Anna in
            time.sleep(2.1)
            late = http.get(
                "/authorize",
                params={
                    "client_id": platform.client_id,
                    "request_uri": pushed.json()["request_uri"],
                },
            )
            assert late.status_code == 400 and "expired" in late.text


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Stops the authorization code store's clock (and only it) at a given time."""
    monkeypatch.setattr(auth.codes, "time", SimpleNamespace(time=time.time))

    def stop_at(moment: float) -> None:
        monkeypatch.setattr(auth.codes, "time", SimpleNamespace(time=lambda: moment))

    return stop_at


def issued_at(auth_server: RunningAuth, code: str) -> int:
    async def read() -> int:
        t = tables.authorization_codes
        async with auth_server.ctx.engine.connect() as connection:
            found = await connection.scalar(
                select(t.c.created_at).where(t.c.code_hash == hash_token(code))
            )
        assert isinstance(found, int)
        return found

    return auth_server.call(read())


def test_a_code_works_until_60_seconds_and_not_at_61(
    auth_server: RunningAuth, clock: Callable[[float], None]
) -> None:
    assert auth_server.settings.code_ttl == 60
    platform = register(auth_server)
    pkce_early, pkce_late = Pkce.new(), Pkce.new()
    early = pushed_code(auth_server, platform, pkce_early)["code"]
    late = pushed_code(auth_server, platform, pkce_late)["code"]
    with platform.oauth_client(auth_server) as client:
        clock(issued_at(auth_server, early) + 59.9)
        token = client.fetch_token(
            f"{auth_server.url}/token",
            grant_type="authorization_code",
            code=early,
            code_verifier=pkce_early.verifier,
        )
        assert token["access_token"]
        clock(issued_at(auth_server, late) + 61)
        refused = client.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": late,
                "redirect_uri": REDIRECT,
                "code_verifier": pkce_late.verifier,
            },
            auth=client.client_auth("private_key_jwt"),
        )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_fapi_registration_refuses_a_shared_secret(auth_server: RunningAuth) -> None:
    answer = httpx.post(
        f"{auth_server.url}/register",
        json=platform_metadata(profile="fapi2", token_endpoint_auth_method="client_secret_basic"),
        headers=ADMIN,
    )
    assert answer.status_code == 400
    assert "private_key_jwt" in answer.json()["error_description"]
    rs256 = httpx.post(
        f"{auth_server.url}/register",
        json=platform_metadata(
            profile="fapi2",
            token_endpoint_auth_method="private_key_jwt",
            jwks_uri="https://fapi-bank.example/jwks.json",
            id_token_signed_response_alg="RS256",
        ),
        headers=ADMIN,
    )
    assert rs256.status_code == 400 and "PS256 or ES256" in rs256.json()["error_description"]
