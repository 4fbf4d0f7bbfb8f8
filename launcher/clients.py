"""The auth server's clients file the launcher writes into the data dir: the clients the
environment's AUTH_CLIENTS_FILE lists, if any, plus the gateway as a resource server, which
records disclosures at the auth server's access log with a secret generated at the first
start and kept in the data dir (never in the repository).

    python -m launcher.clients OUT    the same for a container set-up: the gateway's secret
                                      from CITIZEN_DISCLOSURE_CLIENT_SECRET, written to OUT
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from auth.clients import hash_secret

GATEWAY_CLIENT_ID = "gateway"
CLIENTS_FILE = "auth-clients.json"
GATEWAY_SECRET_FILE = "gateway-client-secret"


def gateway_secret(data_dir: Path) -> str:
    """The gateway's client secret, generated (readable by this user only) on first use."""
    path = data_dir / GATEWAY_SECRET_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def write_clients(out: Path, gateway_secret: str, configured: str | None) -> Path:
    """Write `configured` (a clients file, or None) with the gateway's client to `out`. A
    client the configured file calls `gateway` is replaced: the gateway must hold its secret."""
    clients: list[dict[str, Any]] = []
    if configured:
        try:
            listed = json.loads(Path(configured).read_text())
        except (OSError, ValueError) as error:
            raise SystemExit(f"error: AUTH_CLIENTS_FILE {configured}: {error}") from None
        if not isinstance(listed, list):
            raise SystemExit(f"error: AUTH_CLIENTS_FILE {configured}: expected a JSON list")
        clients = [c for c in listed if not _is_gateway(c)]
    clients.append(
        {
            "client_id": GATEWAY_CLIENT_ID,
            "client_name": "Citizen account gateway",
            # A resource server signs nobody in; the metadata requires a redirect URI anyway.
            "redirect_uris": ["https://gateway.invalid/none"],
            "grant_types": [],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": hash_secret(gateway_secret),
            "purpose": "Records every disclosure of a citizen's data in the access log",
            "data_categories": ["identity"],
            "resource_server": True,
        }
    )
    out.write_text(json.dumps(clients, indent=2))
    return out


def _is_gateway(client: Any) -> bool:
    return isinstance(client, dict) and client.get("client_id") == GATEWAY_CLIENT_ID


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m launcher.clients OUT", file=sys.stderr)
        return 2
    secret = os.environ.get("CITIZEN_DISCLOSURE_CLIENT_SECRET", "")
    if not secret:
        print("error: CITIZEN_DISCLOSURE_CLIENT_SECRET: required", file=sys.stderr)
        return 2
    write_clients(Path(argv[0]), secret, os.environ.get("AUTH_CLIENTS_FILE"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
