"""The platform profile and what discovery says of it; the settings that cannot be honoured
stop the start, naming themselves; /register's refusal and the redirect_uri page say why."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from auth.app import create_app
from auth.clients import ClientConfigError
from auth.settings import AuthSettings
from tests.auth.conftest import RunningAuth, gateway_trust, make_settings
from tests.auth.platforms import ADMIN, new_key, platform_metadata, public_jwks
from tests.auth.support import Pkce, clients_config, free_port, serve
from tests.auth.test_flow import bank_params
from tests.subgraphs.gateway_tokens import TestGateway


def test_discovery_by_default(auth_server: RunningAuth) -> None:
    config = httpx.get(f"{auth_server.url}/.well-known/openid-configuration").json()
    assert config["pushed_authorization_request_endpoint"] == f"{auth_server.url}/par"
    assert config["authorization_response_iss_parameter_supported"] is True
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["ES256", "PS256"]
    assert set(config["id_token_signing_alg_values_supported"]) == {"RS256", "PS256", "ES256"}
    assert "require_pushed_authorization_requests" not in config
    published = {k["alg"] for k in httpx.get(f"{auth_server.url}/jwks.json").json()["keys"]}
    assert published == {"RS256", "PS256", "ES256"}


def test_register_401_names_the_bearer_scheme(auth_server: RunningAuth) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        answer = httpx.post(f"{auth_server.url}/register", json={}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_unregistered_redirect_uri_is_explained_not_followed(auth_server: RunningAuth) -> None:
    with auth_server.client() as http:
        page = http.get(
            "/authorize", params=bank_params(Pkce.new(), redirect_uri="https://evil.example/cb")
        )
    assert page.status_code == 400 and "location" not in page.headers
    assert "https://evil.example/cb" in page.text
    assert "not an address it registered with us" in page.text


def test_code_ttl_over_60_seconds_is_refused() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 60"):
        AuthSettings.model_validate({"code_ttl": 61})


def _first_party_only(tmp_path: Path) -> Path:
    path = tmp_path / "own-clients.json"
    own = [c for c in clients_config() if c.get("first_party") or c.get("resource_server")]
    path.write_text(json.dumps(own))
    return path


def test_server_wide_profile_stops_the_start_for_a_secret_platform(
    tmp_path: Path, gateway: TestGateway
) -> None:
    settings = make_settings(tmp_path, free_port(), platform_profile="fapi2")
    with pytest.raises(ClientConfigError, match=r"AUTH_PLATFORM_PROFILE=fapi2.*'bank'"):
        create_app(settings, gateway=gateway_trust(gateway))


def test_server_wide_profile_applies_to_platforms_only(
    tmp_path: Path, gateway: TestGateway
) -> None:
    port = free_port()
    settings = make_settings(tmp_path, port, platform_profile="fapi2")
    settings = settings.model_copy(update={"clients_file": _first_party_only(tmp_path)})
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url:
        config = httpx.get(f"{url}/.well-known/openid-configuration").json()
        assert config["require_pushed_authorization_requests"] is True
        assert config["platform_profile"] == "fapi2"
        assert config["platform_token_endpoint_auth_methods"] == ["private_key_jwt"]
        secret = httpx.post(f"{url}/register", json=platform_metadata(), headers=ADMIN)
        assert secret.status_code == 400
        assert "private_key_jwt" in secret.json()["error_description"]
        key = new_key()
        keyed = httpx.post(
            f"{url}/register",
            json=platform_metadata(
                token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key)
            ),
            headers=ADMIN,
        ).json()
        assert keyed["profile"] == "fapi2"
        assert keyed["require_pushed_authorization_requests"] is True
        assert keyed["dpop_bound_access_tokens"] is True
        # The platform's own portal is left as configured: no PAR demanded of it.
        portal = asyncio.run_coroutine_threadsafe(
            app.state.ctx.clients.get("portal"), app.state.loop
        ).result(10)
        assert portal is not None and not portal.metadata.require_pushed_authorization_requests


def test_server_wide_par_for_platforms(tmp_path: Path, gateway: TestGateway) -> None:
    port = free_port()
    settings = make_settings(tmp_path, port, require_pushed_authorization_requests=True)
    app = create_app(settings, gateway=gateway_trust(gateway))
    with serve(app, port) as url, httpx.Client(base_url=url) as http:
        config = http.get("/.well-known/openid-configuration").json()
        assert config["require_pushed_authorization_requests"] is True
        direct = http.get("/authorize", params=bank_params(Pkce.new()))
        assert direct.status_code == 400 and "pushed authorization request" in direct.text
        # The first-party portal still signs in through the front channel.
        portal = http.get(
            "/authorize",
            params={
                **bank_params(Pkce.new()),
                "client_id": "portal",
                "redirect_uri": "https://portal.example/callback",
            },
        )
        assert portal.status_code == 303 and "/signin/test" in portal.headers["location"]
