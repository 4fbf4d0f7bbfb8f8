"""Service surface: health, RFC 7591 registration, and production mode."""

from __future__ import annotations

from pathlib import Path

from auth.app import create_app
from tests.auth.conftest import RunningAuth, gateway_trust, make_settings
from tests.auth.support import Pkce, authorize, citizen_data, free_port, serve
from tests.subgraphs.gateway_tokens import TestGateway


def test_health(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        assert http.get("/health").json() == {"status": "ok"}


def test_dynamic_registration_behind_the_admin_credential(auth_server: RunningAuth) -> None:
    metadata = {
        "client_name": "Flat Finder",
        "redirect_uris": ["https://flats.example/cb"],
        "token_endpoint_auth_method": "none",
        "purpose": "Find you a flat",
        "data_categories": ["address", "income"],
    }
    with auth_server.client() as http:
        assert http.post("/register", json=metadata).status_code == 401
        wrong = http.post("/register", json=metadata, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        admin = {"Authorization": "Bearer admin-token-for-tests"}
        bad = http.post("/register", json={**metadata, "redirect_uris": ["notauri"]}, headers=admin)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_redirect_uri"
        no_purpose = {k: v for k, v in metadata.items() if k != "purpose"}
        assert http.post("/register", json=no_purpose, headers=admin).json()["error"] == (
            "invalid_client_metadata"
        )
        created = http.post("/register", json=metadata, headers=admin)
        assert created.status_code == 201, created.text
        client = created.json()
        assert "client_secret" not in client and client["data_categories"] == ["address", "income"]

        # The new client can start a flow, but only for what it declared.
        pkce = Pkce.new()
        params = {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": "https://flats.example/cb",
            "state": "s",
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
            "authorization_details": citizen_data(["tax"]),
        }
        answer = authorize(http, params, "010180-111A", ["tax"])
        assert answer["error"] == "invalid_authorization_details"


def test_production_has_no_test_sign_in(tmp_path: Path, gateway: TestGateway) -> None:
    port = free_port()
    settings = make_settings(
        tmp_path,
        port,
        CITIZEN_ENV="production",
        admin_token="",
        eid_issuer="https://eid.invalid",
        eid_client_id="citizen-account",
        eid_client_secret="eid-secret-for-tests",
    )
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url:
        import httpx

        with httpx.Client(base_url=url) as http:
            assert http.get("/signin/test").status_code == 404
            pkce = Pkce.new()
            page = http.get(
                "/authorize",
                params={
                    "response_type": "code",
                    "client_id": "housing-app",
                    "redirect_uri": "http://127.0.0.1/housing/callback",
                    "scope": "income:read",
                    "code_challenge": pkce.challenge,
                    "code_challenge_method": "S256",
                },
            )
            # Production signs citizens in only through the eID.
            assert page.status_code == 303
            assert page.headers["location"].startswith("/signin/eid?return_to=")
            assert http.post("/register", json={}).status_code == 401
    assert not (tmp_path / "auth-admin-token").exists()
