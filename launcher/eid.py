"""A stand-in for the national eID, so that the production profile runs on one machine.

Production signs citizens in only through an OpenID Connect eID. With no real one at hand,
the launcher starts a second auth server as the eID (service `eid`, base port + 2, its data in
`<data dir>/eid-standin/`), in development mode: its test sign-in lists the seeded citizens,
and the ID tokens it issues carry the personal id in `sub`, which is the claim the platform's
auth server maps to the citizen. The platform's auth server is its registered client:

    browser ─▶ auth /authorize ─▶ auth /signin/eid ─▶ eid /authorize ─▶ eid /signin/test
            ◀─ auth /signin/eid/callback?code&state ◀─────────────────────┘
    auth ─▶ eid /token (code, PKCE verifier, client secret) ─▶ ID token ─▶ session
"""

from __future__ import annotations

from pathlib import Path

from auth.clients import ConfiguredClient, hash_secret
from auth.eid import CALLBACK_PATH
from launcher.clients import LauncherClient, client_secret
from launcher.settings import LauncherSettings

STANDIN_DIR = "eid-standin"
STANDIN_PORT_OFFSET = 2
CLIENTS_FILE = "clients.json"
CLIENT_ID = "citizen-account"


def standin_dir(settings: LauncherSettings) -> Path:
    return settings.data_dir.resolve() / STANDIN_DIR


def standin_port(settings: LauncherSettings) -> int:
    return settings.base_port + STANDIN_PORT_OFFSET


def standin_issuer(settings: LauncherSettings) -> str:
    return f"http://{settings.host}:{standin_port(settings)}"


def standin_client(settings: LauncherSettings, auth_issuer: str) -> LauncherClient:
    """The platform's auth server as the stand-in's client; `auth` is told how to use it."""
    secret = client_secret(standin_dir(settings), CLIENT_ID)
    config = ConfiguredClient(
        client_id=CLIENT_ID,
        client_name="Citizen account",
        redirect_uris=[auth_issuer.rstrip("/") + CALLBACK_PATH],
        token_endpoint_auth_method="client_secret_basic",
        client_secret_sha256=hash_secret(secret),
        purpose="Sign you in to the citizen account",
        data_categories=["identity"],
        # An eID signs people in and asks them nothing more: no consent page at the stand-in.
        first_party=True,
    )
    environment = {
        "AUTH_EID_ISSUER": standin_issuer(settings),
        "AUTH_EID_CLIENT_ID": CLIENT_ID,
        "AUTH_EID_CLIENT_SECRET": secret,
    }
    return LauncherClient(config, secret, {"auth": environment})
