"""examples/clients.json is a clients file the auth server accepts, with one client of each
kind and no secret in it."""

from __future__ import annotations

from pathlib import Path

from auth.clients import TOKEN_EXCHANGE, read_clients_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clients.json"


def test_the_example_clients_file_loads_with_a_client_of_each_kind() -> None:
    clients = {client.client_id: client for client in read_clients_file(EXAMPLE)}
    portal, bank, gateway = clients["portal"], clients["example-bank"], clients["gateway"]
    assert portal.first_party and TOKEN_EXCHANGE in portal.grant_types
    assert not bank.first_party and not bank.resource_server
    assert gateway.resource_server and gateway.grant_types == []
    # Placeholders, not hashes: nothing can authenticate until an operator puts real ones.
    for client in clients.values():
        assert client.client_secret_sha256 is not None
        assert client.client_secret_sha256.startswith("REPLACE-WITH-SHA256-HEX-OF-")
