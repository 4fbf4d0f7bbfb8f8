"""The clients file the launcher gives the auth server: whatever AUTH_CLIENTS_FILE lists, plus
the gateway as a resource server with a secret generated once into the data dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from auth.clients import hash_secret, read_clients_file
from launcher.clients import gateway_secret, main, write_clients


def test_the_gateways_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    secret = gateway_secret(tmp_path)
    assert len(secret) >= 40 and gateway_secret(tmp_path) == secret
    mode = (tmp_path / "gateway-client-secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_the_users_clients_are_kept_and_the_gateway_added(tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text(
        json.dumps(
            [
                {
                    "client_id": "bank",
                    "client_name": "Example Bank",
                    "redirect_uris": ["https://bank.example/cb"],
                    "client_secret_sha256": "0" * 64,
                    "purpose": "Mortgage",
                    "data_categories": ["income"],
                },
                {"client_id": "gateway", "client_name": "An old gateway entry"},
            ]
        )
    )
    out = write_clients(tmp_path / "auth-clients.json", "the-secret", str(mine))
    clients = {c.client_id: c for c in read_clients_file(out)}
    assert set(clients) == {"bank", "gateway"}
    assert clients["bank"].client_name == "Example Bank"
    gateway = clients["gateway"]
    assert gateway.resource_server and not gateway.first_party
    assert gateway.client_secret_sha256 == hash_secret("the-secret")
    # Alone, without a file of the user's.
    alone = write_clients(tmp_path / "alone.json", "the-secret", None)
    assert [c.client_id for c in read_clients_file(alone)] == ["gateway"]


def test_a_broken_clients_file_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "mine.json").write_text("{not json")
    with pytest.raises(SystemExit, match="AUTH_CLIENTS_FILE"):
        write_clients(tmp_path / "out.json", "s", str(tmp_path / "mine.json"))


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
