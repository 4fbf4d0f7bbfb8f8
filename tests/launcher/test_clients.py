"""The clients file the launcher writes for the auth server: the operator's clients and the
launcher's own, merged; secrets made once and kept in the data dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from auth.clients import hash_secret, read_clients_file
from launcher.clients import (
    DEMO_PLATFORM,
    LauncherClient,
    client_secret,
    demo_platform,
    platform_clients,
    service_environment,
    write_clients_file,
)
from launcher.eid import standin_client
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
    assert list(merged) == ["bank", DEMO_PLATFORM]
    demo = merged[DEMO_PLATFORM]
    assert demo.redirect_uris == ["http://127.0.0.1:5003/callback"]
    assert not demo.first_party and set(demo.data_categories) >= {"identity", "income"}
    # The file holds the hash; the secret stays in the data dir, the same at every run.
    secret = clients[0].secret
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
