"""RP-Initiated Logout 1.0 (`/logout`): a client ends the browser's sign-in at the auth server,
returning only to an address it registered; without a hint naming the person signed in, the
citizen is asked first."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from auth.app import create_app
from tests.auth.conftest import RunningAuth, gateway_trust, make_settings
from tests.auth.support import (
    ANNA,
    DAN,
    PORTAL_SECRET,
    Pkce,
    authorize,
    clients_config,
    free_port,
    serve,
)
from tests.subgraphs.gateway_tokens import TestGateway

PORTAL_REDIRECT = "https://portal.example/callback"
AFTER = "https://portal.example/?notice=signedout"


@pytest.fixture
def auth_server(tmp_path: Path, gateway: TestGateway) -> Iterator[RunningAuth]:
    clients = [
        {**client, "post_logout_redirect_uris": [AFTER]}
        if client["client_id"] == "portal"
        else client
        for client in clients_config()
    ]
    path = tmp_path / "logout-clients.json"
    path.write_text(json.dumps(clients))
    port = free_port()
    settings = make_settings(tmp_path, port, clients_file=path)
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url:
        yield RunningAuth(url, settings, app.state.ctx, tmp_path, app.state.loop, gateway)


def _sign_in(http: httpx.Client, personal_id: str) -> dict[str, str]:
    """The portal's code flow in this browser (`http` keeps the auth session cookie)."""
    pkce = Pkce.new()
    answer = authorize(
        http,
        {
            "response_type": "code",
            "client_id": "portal",
            "redirect_uri": PORTAL_REDIRECT,
            "scope": "openid identity:read",
            "state": "s",
            "nonce": secrets.token_urlsafe(8),  # a nonce is used once per client
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        },
        personal_id,
        None,
    )
    response = http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": PORTAL_REDIRECT,
            "code_verifier": pkce.verifier,
            "client_id": "portal",
            "client_secret": PORTAL_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def _still_signed_in(http: httpx.Client) -> bool:
    """A new authorization request goes to the sign-in page only when nobody is signed in."""
    pkce = Pkce.new()
    response = http.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "portal",
            "redirect_uri": PORTAL_REDIRECT,
            "scope": "openid",
            "state": "again",
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 303, response.text
    return "/signin/test" not in response.headers["location"]


def test_discovery_names_the_end_session_endpoint(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["end_session_endpoint"] == f"{auth_server.url}/logout"


def test_a_valid_hint_ends_the_sign_in_and_returns_to_the_registered_address(
    auth_server: RunningAuth,
) -> None:
    with auth_server.client() as http:
        tokens = _sign_in(http, ANNA)
        assert _still_signed_in(http)
        response = http.get(
            "/logout",
            params={
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": AFTER,
                "state": "xyz",
            },
        )
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location._replace(query="").geturl() + "?notice=signedout" == AFTER
        assert parse_qs(location.query) == {"notice": ["signedout"], "state": ["xyz"]}
        assert "auth_session=" in response.headers["set-cookie"]
        assert not _still_signed_in(http)


def test_an_address_not_registered_is_refused_and_ends_nothing(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        tokens = _sign_in(http, ANNA)
        for uri in ("https://evil.example/", AFTER + "&x=1", "https://portal.example/"):
            response = http.get(
                "/logout",
                params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": uri},
            )
            assert response.status_code == 400
            assert "location" not in response.headers
            assert "not registered" in response.text
        assert _still_signed_in(http)


def test_without_a_hint_the_citizen_confirms_first(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        _sign_in(http, ANNA)
        page = http.get(
            "/logout", params={"client_id": "portal", "post_logout_redirect_uri": AFTER}
        )
        assert page.status_code == 200 and "Do you want to sign out?" in page.text
        assert _still_signed_in(http)
        confirmed = http.post(
            "/logout",
            data={"client_id": "portal", "post_logout_redirect_uri": AFTER, "confirm": "yes"},
        )
        assert confirmed.status_code == 303 and confirmed.headers["location"] == AFTER
        assert not _still_signed_in(http)


def test_a_hint_for_someone_else_or_an_access_token_does_not_end_the_sign_in(
    auth_server: RunningAuth,
) -> None:
    with auth_server.client() as other:
        dans = _sign_in(other, DAN)
    with auth_server.client() as http:
        annas = _sign_in(http, ANNA)
        asked = http.get("/logout", params={"id_token_hint": dans["id_token"]})
        assert asked.status_code == 200 and "Do you want to sign out?" in asked.text
        refused = http.get("/logout", params={"id_token_hint": annas["access_token"]})
        assert refused.status_code == 400 and "not an ID token" in refused.text
        forged = http.get("/logout", params={"id_token_hint": annas["id_token"][:-4] + "AAAA"})
        assert forged.status_code == 400
        assert _still_signed_in(http)
