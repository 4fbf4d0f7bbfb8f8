"""The clients file the launcher gives auth: the operator's clients and GraphiQL's, which auth
accepts as a first-party public client whose origin is the gateway's; and the gateway told to
sign in as it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auth.app import browser_app_origins
from auth.clients import read_clients_file
from gateway.graphiql import sign_in_from
from gateway.settings import GatewaySettings
from launcher.clients import write_auth_clients
from launcher.services import platform_services
from launcher.settings import LauncherSettings


def test_graphiql_is_a_first_party_public_client_at_the_gateways_callback(
    tmp_path: Path,
) -> None:
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    (client,) = read_clients_file(write_auth_clients(settings, None))
    assert client.client_id == "graphiql"
    assert client.redirect_uris == ["http://127.0.0.1:5000/graphql/signin/callback"]
    assert client.token_endpoint_auth_method == "none" and client.client_secret_sha256 is None
    assert client.first_party and not client.resource_server
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in client.grant_types
    assert "refresh_token" not in client.grant_types
    # The gateway's page, and only it, may call auth's discovery and token endpoint.
    assert browser_app_origins([client]) == {"http://127.0.0.1:5000"}


def test_the_operators_clients_come_first_and_keep_their_ids(tmp_path: Path) -> None:
    operator = [
        {"client_id": "bank", "client_name": "Bank", "redirect_uris": ["https://b.example/cb"]},
        {"client_id": "graphiql", "client_name": "Their own", "redirect_uris": ["https://x/cb"]},
    ]
    (tmp_path / "theirs.json").write_text(json.dumps(operator))
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    written = write_auth_clients(settings, str(tmp_path / "theirs.json"))
    assert json.loads(written.read_text()) == operator


@pytest.mark.parametrize("content", ["{not json", '{"client_id": "bank"}'])
def test_an_unreadable_operator_file_stops_the_start(tmp_path: Path, content: str) -> None:
    (tmp_path / "theirs.json").write_text(content)
    settings = LauncherSettings(data_dir=tmp_path)
    with pytest.raises(SystemExit, match=r"AUTH_CLIENTS_FILE .*theirs\.json"):
        write_auth_clients(settings, str(tmp_path / "theirs.json"))


def test_the_gateway_signs_in_at_auth_as_graphiql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = {s.name: s for s in platform_services(LauncherSettings(base_port=5000))}
    for name, value in services["gateway"].environment.items():
        monkeypatch.setenv(name, value)
    sign_in = sign_in_from(GatewaySettings())
    assert sign_in is not None
    assert sign_in.issuer == services["auth"].environment["AUTH_ISSUER"]
    assert sign_in.client_id == "graphiql"
    assert {"openid", "identity:read", "family:read"} <= set(sign_in.scope.split())
