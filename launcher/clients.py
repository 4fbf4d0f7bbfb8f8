"""The OAuth clients the launcher registers at the auth server, and the clients file it gives
auth: the operator's own clients (`AUTH_CLIENTS_FILE`, if set) followed by the launcher's.

Every client the launcher needs is one entry of `launcher_clients`; a client id the operator's
file already has is theirs, and the launcher's entry for it is left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auth.authority import ACCOUNT_SCOPE
from auth.authorization_details import CATEGORIES
from auth.clients import TOKEN_EXCHANGE
from gateway.graphiql import CALLBACK_PATH
from launcher.settings import LauncherSettings

AUTH_CLIENTS_FILE = "auth-clients.json"
GRAPHIQL_CLIENT_ID = "graphiql"
# GraphiQL asks for everything, account management included: it is the citizen account's own
# app, where a developer explores the whole schema.
GRAPHIQL_SCOPE = " ".join(
    ["openid", *(f"{category}:read" for category in CATEGORIES), ACCOUNT_SCOPE]
)


def graphiql_client(gateway_url: str) -> dict[str, Any]:
    """GraphiQL on the gateway: a page with no secret to keep, so a first-party public client
    (PKCE is its proof), allowed to exchange its own tokens to act for someone. No refresh
    token: the page could only keep one where a script can read it."""
    return {
        "client_id": GRAPHIQL_CLIENT_ID,
        "client_name": "GraphiQL on the gateway",
        "redirect_uris": [gateway_url + CALLBACK_PATH],
        "grant_types": ["authorization_code", TOKEN_EXCHANGE],
        "token_endpoint_auth_method": "none",
        "purpose": "Explore your own data, or the data of someone you act for",
        "data_categories": list(CATEGORIES),
        "first_party": True,
    }


def launcher_clients(settings: LauncherSettings) -> list[dict[str, Any]]:
    return [graphiql_client(f"http://{settings.host}:{settings.base_port}")]


def write_auth_clients(settings: LauncherSettings, operator_file: str | None) -> Path:
    """Write the combined clients file into the data directory; return its path."""
    operator: list[dict[str, Any]] = []
    if operator_file:
        try:
            operator = json.loads(Path(operator_file).read_text())
        except (OSError, ValueError) as error:
            raise SystemExit(f"error: AUTH_CLIENTS_FILE {operator_file}: {error}") from None
        if not isinstance(operator, list):
            raise SystemExit(f"error: AUTH_CLIENTS_FILE {operator_file}: not a JSON list")
    taken = {client.get("client_id") for client in operator if isinstance(client, dict)}
    ours = [c for c in launcher_clients(settings) if c["client_id"] not in taken]
    path = settings.data_dir / AUTH_CLIENTS_FILE
    path.write_text(json.dumps([*operator, *ours], indent=2) + "\n")
    return path
