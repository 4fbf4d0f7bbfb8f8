"""The clients file the launcher writes for the auth server: the operator's clients and the
launcher's own, merged; secrets made once and kept in the data dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from auth.app import browser_app_origins
from auth.clients import hash_secret, read_clients_file
from gateway.graphiql import sign_in_from
from gateway.settings import GatewaySettings
from launcher.clients import (
    DEMO_PLATFORM,
    LauncherClient,
    client_secret,
    demo_platform,
    main,
    platform_clients,
    quota_environment,
    service_environment,
    write_clients_file,
)
from launcher.eid import standin_client
from launcher.services import platform_services
from launcher.settings import LauncherSettings


def operator_file(path: Path, client_id: str = "bank") -> Path:
    path.write_text(
        json.dumps(
            [
                {
                    "client_id": client_id,
                    "client_name": "Example Bank",
                    "redirect_uris": ["https://bank.example/callback"],
                    "client_secret_sha256": hash_secret("bank-secret"),
                    "purpose": "Mortgage application",
                    "data_categories": ["income"],
                }
            ]
        )
    )
    return path


def test_the_operators_clients_and_the_launchers_make_one_file(tmp_path: Path) -> None:
    settings = LauncherSettings(data_dir=tmp_path, base_port=5000)
    clients = platform_clients(settings)
    target = write_clients_file(
        tmp_path / "auth-clients.json", clients, operator_file(tmp_path / "mine.json")
    )
    merged = {client.client_id: client for client in read_clients_file(target)}
    assert list(merged) == ["bank", DEMO_PLATFORM, "graphiql", "gateway", "portal"]
    demo = merged[DEMO_PLATFORM]
    assert demo.redirect_uris == ["http://127.0.0.1:5003/callback"]
    assert not demo.first_party and set(demo.data_categories) >= {"identity", "income"}
    # The file holds the hash; the secret stays in the data dir, the same at every run.
    secret = clients[0].secret
    assert secret is not None
    assert demo.client_secret_sha256 == hash_secret(secret)
    assert secret not in target.read_text()
    assert demo_platform(settings).secret == secret
    path = tmp_path / "secrets" / DEMO_PLATFORM
    assert path.read_text() == secret and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_client_id_the_launcher_registers_is_refused_in_the_operators_file(
    tmp_path: Path,
) -> None:
    clients = platform_clients(LauncherSettings(data_dir=tmp_path))
    mine = operator_file(tmp_path / "mine.json", client_id=DEMO_PLATFORM)
    with pytest.raises(SystemExit, match=f"AUTH_CLIENTS_FILE {mine}: .*'{DEMO_PLATFORM}'"):
        write_clients_file(tmp_path / "auth-clients.json", clients, mine)


def test_a_broken_operators_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "mine.json"
    broken.write_text('{"not": "a list"}')
    with pytest.raises(SystemExit, match=f"AUTH_CLIENTS_FILE {broken}"):
        write_clients_file(tmp_path / "auth-clients.json", [], broken)


def test_services_are_told_the_credentials_of_the_clients_they_act_as(tmp_path: Path) -> None:
    settings = LauncherSettings(data_dir=tmp_path, base_port=5000, env="production")
    standin = standin_client(settings, "http://127.0.0.1:5001")
    assert standin.config.redirect_uris == ["http://127.0.0.1:5001/signin/eid/callback"]
    assert standin.config.first_party
    extra = LauncherClient(standin.config, "s", {"auth": {"AUTH_OTHER": "x"}, "gateway": {}})
    environment = service_environment([standin, extra])
    assert environment["auth"] == {
        "AUTH_EID_ISSUER": "http://127.0.0.1:5002",
        "AUTH_EID_CLIENT_ID": "citizen-account",
        "AUTH_EID_CLIENT_SECRET": client_secret(tmp_path / "eid-standin", "citizen-account"),
        "AUTH_OTHER": "x",
    }
    assert environment["gateway"] == {}


def test_graphiql_is_a_first_party_public_client_at_the_gateways_callback(
    tmp_path: Path,
) -> None:
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    written = write_clients_file(tmp_path / "clients.json", platform_clients(settings))
    client = next(c for c in read_clients_file(written) if c.client_id == "graphiql")
    assert client.redirect_uris == ["http://127.0.0.1:5000/graphql/signin/callback"]
    assert client.token_endpoint_auth_method == "none" and client.client_secret_sha256 is None
    assert client.first_party and not client.resource_server
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in client.grant_types
    assert "refresh_token" not in client.grant_types
    # The gateway's page, and only it, may call auth's discovery and token endpoint.
    assert browser_app_origins([client]) == {"http://127.0.0.1:5000"}


def test_the_gateway_signs_in_at_auth_as_graphiql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    services = {s.name: s for s in platform_services(settings)}
    for name, value in services["gateway"].environment.items():
        monkeypatch.setenv(name, value)
    sign_in = sign_in_from(GatewaySettings())
    assert sign_in is not None
    assert sign_in.issuer == services["auth"].environment["AUTH_ISSUER"]
    assert sign_in.client_id == "graphiql"
    assert {"openid", "identity:read", "family:read", "account:manage"} <= set(
        sign_in.scope.split()
    )


def test_the_gateway_records_disclosures_as_a_resource_server_reading_its_secret_file(
    tmp_path: Path,
) -> None:
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    clients = platform_clients(settings)
    written = write_clients_file(tmp_path / "clients.json", clients)
    gateway = next(c for c in read_clients_file(written) if c.client_id == "gateway")
    assert gateway.resource_server and not gateway.first_party
    [launched] = [c for c in clients if c.config.client_id == "gateway"]
    assert launched.secret is not None
    assert gateway.client_secret_sha256 == hash_secret(launched.secret)
    secret_file = Path(
        service_environment(clients)["gateway"]["CITIZEN_DISCLOSURE_CLIENT_SECRET_FILE"]
    )
    assert secret_file.read_text() == launched.secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert launched.secret not in json.dumps(service_environment(clients))


def test_the_container_step_takes_the_secret_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_CLIENTS_FILE", raising=False)
    monkeypatch.delenv("CITIZEN_DISCLOSURE_CLIENT_SECRET", raising=False)
    assert main([str(tmp_path / "clients.json")]) == 2
    monkeypatch.setenv("CITIZEN_DISCLOSURE_CLIENT_SECRET", "from-the-environment")
    assert main([str(tmp_path / "clients.json")]) == 0
    [gateway] = read_clients_file(tmp_path / "clients.json")
    assert gateway.client_id == "gateway"
    assert gateway.client_secret_sha256 == hash_secret("from-the-environment")


def test_the_quotas_platforms_are_registered_with_become_the_gateways_client_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = LauncherSettings(data_dir=tmp_path, base_port=5000)
    clients = platform_clients(settings)
    mine = operator_file(tmp_path / "mine.json")
    written = write_clients_file(tmp_path / "auth-clients.json", clients, mine)
    # No quota registered: the gateway's own settings decide.
    assert quota_environment(written) == {}

    [bank] = json.loads(mine.read_text())
    mine.write_text(json.dumps([{**bank, "rate_limit": 600}]))
    written = write_clients_file(tmp_path / "auth-clients.json", clients, mine)
    environment = quota_environment(written)
    assert list(environment) == ["gateway"]
    for name, value in environment["gateway"].items():
        monkeypatch.setenv(name, value)
    assert GatewaySettings().rate_limit_clients == {"bank": 600}
