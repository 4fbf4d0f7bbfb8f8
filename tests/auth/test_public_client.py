"""A first-party public client (an in-browser app such as the gateway's GraphiQL): code + PKCE
without a secret, token exchange on its own tokens only, and CORS on exactly the endpoints a
page of its origin calls (discovery and the token endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from auth.app import browser_app_origins, create_app
from auth.authorization_details import CATEGORIES
from auth.clients import ConfiguredClient
from tests.auth.conftest import RunningAuth, gateway_trust, make_settings
from tests.auth.support import (
    ANNA,
    BEN,
    DAN,
    PORTAL_SECRET,
    Pkce,
    authorize,
    clients_config,
    decode_unverified,
    free_port,
    serve,
)
from tests.subgraphs.gateway_tokens import TestGateway

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PERSONAL_ID = "urn:citizen-account:params:oauth:token-type:personal-id"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
APP_ORIGIN = "http://127.0.0.1:4000"
APP_REDIRECT = APP_ORIGIN + "/graphql/signin/callback"
KIOSK_ORIGIN = "https://kiosk.example"


def _public(client_id: str, redirect: str, first_party: bool) -> dict[str, object]:
    return {
        "client_id": client_id,
        "client_name": client_id,
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", EXCHANGE],
        "token_endpoint_auth_method": "none",
        "purpose": "Explore your own data",
        "data_categories": list(CATEGORIES),
        "first_party": first_party,
    }


@pytest.fixture
def auth_server(tmp_path: Path, gateway: TestGateway) -> Iterator[RunningAuth]:
    """The usual clients, plus a first-party public app and a public app that is not
    first-party, both registered (by the operator) with token exchange."""
    clients = tmp_path / "public-clients.json"
    clients.write_text(
        json.dumps(
            [
                *clients_config(),
                _public("graphiql", APP_REDIRECT, first_party=True),
                _public("kiosk", KIOSK_ORIGIN + "/callback", first_party=False),
            ]
        )
    )
    port = free_port()
    settings = make_settings(tmp_path, port, clients_file=clients)
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url:
        yield RunningAuth(url, settings, app.state.ctx, tmp_path, app.state.loop, gateway)


def _signed_in(
    http: httpx.Client, client_id: str, redirect: str, personal_id: str
) -> dict[str, object]:
    """The code flow as a page runs it: PKCE, no secret, `client_id` in the form."""
    pkce = Pkce.new()
    answer = authorize(
        http,
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect,
            "scope": "openid identity:read family:read",
            "state": "s",
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        },
        personal_id,
        ["identity", "family"],  # on the consent page, which the first-party app skips
    )
    response = http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect,
            "code_verifier": pkce.verifier,
            "client_id": client_id,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _exchange(
    http: httpx.Client, client_id: str, actor_token: str, principal: str, **extra: str
) -> httpx.Response:
    return http.post(
        "/token",
        data={
            "grant_type": EXCHANGE,
            "subject_token": principal,
            "subject_token_type": PERSONAL_ID,
            "actor_token": actor_token,
            "actor_token_type": ACCESS_TOKEN,
            "client_id": client_id,
            **extra,
        },
    )


def test_a_first_party_public_client_signs_in_without_a_secret(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        body = _signed_in(http, "graphiql", APP_REDIRECT, ANNA)
    claims = decode_unverified(str(body["access_token"]))
    assert claims["client_id"] == "graphiql" and claims["sub"] == ANNA
    assert claims["authority"] == "self" and BEN in claims["guardian_of"]
    # No refresh token: the client was not registered for that grant, and a page could only
    # keep one where a script can read it.
    assert "refresh_token" not in body
    assert decode_unverified(str(body["id_token"]))["aud"] == ["graphiql"]


def test_it_exchanges_its_own_token_to_act_for_a_child(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        anna = str(_signed_in(http, "graphiql", APP_REDIRECT, ANNA)["access_token"])
        answer = _exchange(http, "graphiql", anna, BEN)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "refresh_token" not in body
    claims = decode_unverified(body["access_token"])
    assert claims["sub"] == BEN and claims["act"] == {"sub": ANNA}
    assert claims["client_id"] == "graphiql" and claims["authority"] == "guardianship"


def test_it_cannot_exchange_a_token_issued_to_another_client(auth_server: RunningAuth) -> None:
    """Holding someone's token from another app is no way to act for their child here."""
    pkce = Pkce.new()
    with auth_server.client() as http:
        answer = authorize(
            http,
            {
                "response_type": "code",
                "client_id": "portal",
                "redirect_uri": "https://portal.example/callback",
                "scope": "openid",
                "state": "s",
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
            },
            ANNA,
            None,
        )
        portal = http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": "https://portal.example/callback",
                "code_verifier": pkce.verifier,
                "client_id": "portal",
                "client_secret": PORTAL_SECRET,
            },
        ).json()["access_token"]
        refused = _exchange(http, "graphiql", portal, BEN)
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_request",
        "error_description": "The actor_token was issued to another client.",
    }


def test_a_public_client_that_is_not_first_party_may_not_exchange(
    auth_server: RunningAuth,
) -> None:
    """Even registered with the grant type: without a secret, the token is the only proof, and
    only the platform's own apps are trusted that far."""
    with auth_server.client() as http:
        anna = str(_signed_in(http, "kiosk", KIOSK_ORIGIN + "/callback", ANNA)["access_token"])
        refused = _exchange(http, "kiosk", anna, BEN)
        stranger = _exchange(http, "graphiql", "not-a-token", DAN)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "unauthorized_client"
    assert stranger.json()["error"] == "invalid_request"


ALLOWS = "access-control-allow-origin"


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/token"])
def test_cors_for_the_first_party_public_clients_origin(
    auth_server: RunningAuth, path: str
) -> None:
    with auth_server.client() as http:
        headers = {"origin": APP_ORIGIN}
        if path == "/token":
            # An error must be readable by the page too: it says what went wrong.
            response = http.post(path, data={"grant_type": "password"}, headers=headers)
            assert response.status_code == 400
        else:
            response = http.get(path, headers=headers)
            assert response.status_code == 200
        assert response.headers[ALLOWS] == APP_ORIGIN
        assert "origin" in response.headers["vary"].lower()
        assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    ("origin", "path"),
    [
        (KIOSK_ORIGIN, "/token"),  # public, but not first-party
        ("https://portal.example", "/token"),  # first-party, but confidential
        ("https://evil.example", "/.well-known/openid-configuration"),
        (APP_ORIGIN, "/jwks.json"),  # the page never needs the keys
        (APP_ORIGIN, "/userinfo"),
        (APP_ORIGIN, "/revoke"),
        (APP_ORIGIN, "/introspect"),
    ],
)
def test_no_cors_anywhere_else(auth_server: RunningAuth, origin: str, path: str) -> None:
    with auth_server.client() as http:
        response = http.request(
            "GET" if path.startswith("/.well-known") or path == "/jwks.json" else "POST",
            path,
            headers={"origin": origin},
        )
    assert ALLOWS not in response.headers


def test_no_preflight_is_answered(auth_server: RunningAuth) -> None:
    """The page's calls are simple requests (a form body, no custom header): nothing needs a
    preflight, so none is allowed."""
    with auth_server.client() as http:
        response = http.options(
            "/token",
            headers={
                "origin": APP_ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization",
            },
        )
    assert response.status_code == 405
    assert ALLOWS not in response.headers


def test_origins_are_written_as_a_browser_sends_them() -> None:
    def client(uri: str, **extra: object) -> ConfiguredClient:
        return ConfiguredClient.model_validate({**_public("app", uri, first_party=True), **extra})

    assert browser_app_origins(
        [
            client("HTTPS://Gateway.Example:443/graphql/signin/callback"),
            client("http://[::1]:4000/cb"),
            client("http://localhost:80/cb"),
            client("com.example.app:/callback"),  # a native app's scheme: no origin
            client("https://server.example/cb", token_endpoint_auth_method="client_secret_post"),
        ]
    ) == {"https://gateway.example", "http://[::1]:4000", "http://localhost"}
