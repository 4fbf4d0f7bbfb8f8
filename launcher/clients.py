"""The OAuth clients the launcher registers, merged with the operator's into the file auth reads.

    AUTH_CLIENTS_FILE (the operator's, optional) ──┐
    platform_clients(): the demo platform,         ├─▶ <data dir>/auth-clients.json ──▶ auth
    GraphiQL, the gateway (a resource server),     │   (AUTH_CLIENTS_FILE of the auth service)
    the citizen portal                             ┘
                                                       └─▶ the quotas it registers
                                                           (`rate_limit`) ──▶ the gateway

A client the launcher registers gets a secret at the first run, kept in `<data dir>/secrets/`
and never in the repository (clients files hold only its hash), and may hand its credentials
to the services acting as it (`LauncherClient.environment`). A service that needs a client of
its own (the gateway as a resource server, say) adds it to `platform_clients`.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auth.authority import ACCOUNT_SCOPE
from auth.authorization_details import CATEGORIES
from auth.clients import (
    TOKEN_EXCHANGE,
    ClientConfigError,
    ConfiguredClient,
    hash_secret,
    read_clients_file,
)
from gateway.graphiql import CALLBACK_PATH
from launcher.settings import LauncherSettings

CLIENTS_FILE = "auth-clients.json"
SECRETS_DIR = "secrets"
# Auth's admin credential, the RFC 7591 initial access token (where development's auth makes it).
ADMIN_TOKEN_FILE = "auth-admin-token"
DEMO_PLATFORM = "demo-platform"
GATEWAY_CLIENT_ID = "gateway"
# The demo's redirect receiver (examples/platform_flow.py) listens here; redirect URIs are
# compared exactly, so the port is fixed per base port.
DEMO_REDIRECT_PORT_OFFSET = 3
GRAPHIQL_CLIENT_ID = "graphiql"
PORTAL_CLIENT_ID = "portal"
# The citizen portal (portal/) listens here: its redirect URI names the port.
PORTAL_PORT_OFFSET = 4
# GraphiQL asks for everything, account management included: it is the citizen account's own
# app, where a developer explores the whole schema.
GRAPHIQL_SCOPE = " ".join(
    ["openid", *(f"{category}:read" for category in CATEGORIES), ACCOUNT_SCOPE]
)


@dataclass(frozen=True)
class LauncherClient:
    config: ConfiguredClient
    secret: str | None  # None: a public client (an app in a browser), PKCE is its proof
    # Variables giving the credentials to the services that act as this client, by service.
    environment: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def client_secret(data_dir: Path, client_id: str) -> str:
    """The client's secret: made at the first run, read back at every later one."""
    directory = data_dir / SECRETS_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return _secret_file(directory / client_id)


def _secret_file(path: Path) -> str:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def admin_token_environment(
    settings: LauncherSettings, operator_token: str | None
) -> dict[str, dict[str, str]]:
    """Auth's admin credential, which the mortgage bank example registers itself with (the
    bank is told the file's path). Development's auth makes `<data dir>/auth-admin-token`
    itself; production's takes only AUTH_ADMIN_TOKEN, so the launcher makes the same file at
    the first run and hands auth its content. An operator's own AUTH_ADMIN_TOKEN is left
    alone: the bank then registers only if that file holds it too."""
    if operator_token or settings.env == "development":
        return {}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    token = _secret_file(settings.data_dir.resolve() / ADMIN_TOKEN_FILE)
    return {"auth": {"AUTH_ADMIN_TOKEN": token}}


def demo_redirect_uri(settings: LauncherSettings) -> str:
    return f"http://{settings.host}:{settings.base_port + DEMO_REDIRECT_PORT_OFFSET}/callback"


def demo_platform(settings: LauncherSettings) -> LauncherClient:
    """A third-party platform to try the code flow with (examples/platform_flow.py)."""
    secret = client_secret(settings.data_dir, DEMO_PLATFORM)
    config = ConfiguredClient(
        client_id=DEMO_PLATFORM,
        client_name="Demo platform",
        redirect_uris=[demo_redirect_uri(settings)],
        token_endpoint_auth_method="client_secret_basic",
        client_secret_sha256=hash_secret(secret),
        purpose="Demo: show who you are and your income",
        data_categories=["identity", "address", "income"],
    )
    return LauncherClient(config, secret)


def graphiql_client(settings: LauncherSettings) -> LauncherClient:
    """GraphiQL on the gateway: a page with no secret to keep, so a first-party public client
    (PKCE is its proof), allowed to exchange its own tokens to act for someone. No refresh
    token: the page could only keep one where a script can read it."""
    config = ConfiguredClient(
        client_id=GRAPHIQL_CLIENT_ID,
        client_name="GraphiQL on the gateway",
        redirect_uris=[f"http://{settings.host}:{settings.base_port}{CALLBACK_PATH}"],
        grant_types=["authorization_code", TOKEN_EXCHANGE],
        token_endpoint_auth_method="none",
        purpose="Explore your own data, or the data of someone you act for",
        data_categories=list(CATEGORIES),
        first_party=True,
    )
    return LauncherClient(config, None)


def portal_url(settings: LauncherSettings) -> str:
    return f"http://{settings.host}:{settings.base_port + PORTAL_PORT_OFFSET}"


def portal_client(settings: LauncherSettings) -> LauncherClient:
    """The citizen portal: a server-side app (a backend for frontend), so a confidential
    first-party client that keeps its secret and the citizen's tokens on the server; it
    refreshes them and exchanges them to act for a child or a principal. Its secret is read
    from the data dir, so it is in no process's environment."""
    secret = client_secret(settings.data_dir, PORTAL_CLIENT_ID)
    url = portal_url(settings)
    config = ConfiguredClient(
        client_id=PORTAL_CLIENT_ID,
        client_name="Citizen portal",
        redirect_uris=[f"{url}/callback"],
        post_logout_redirect_uris=[f"{url}/?notice=signedout"],
        grant_types=["authorization_code", "refresh_token", TOKEN_EXCHANGE],
        token_endpoint_auth_method="client_secret_basic",
        client_secret_sha256=hash_secret(secret),
        purpose="Your own citizen account",
        data_categories=list(CATEGORIES),
        first_party=True,
    )
    environment = {
        "PORTAL_CLIENT_ID": PORTAL_CLIENT_ID,
        "PORTAL_CLIENT_SECRET_FILE": str(
            settings.data_dir.resolve() / SECRETS_DIR / PORTAL_CLIENT_ID
        ),
    }
    return LauncherClient(config, secret, {"portal": environment})


def gateway_config(secret: str) -> ConfiguredClient:
    return ConfiguredClient(
        client_id=GATEWAY_CLIENT_ID,
        client_name="Citizen account gateway",
        # A resource server signs nobody in; the metadata requires a redirect URI anyway.
        redirect_uris=["https://gateway.invalid/none"],
        grant_types=[],
        token_endpoint_auth_method="client_secret_basic",
        client_secret_sha256=hash_secret(secret),
        purpose="Records every disclosure of a citizen's data in the access log",
        data_categories=["identity"],
        resource_server=True,
    )


def gateway_client(settings: LauncherSettings) -> LauncherClient:
    """The gateway as a resource server: it records disclosures at the access log. It reads
    its secret from the data dir, so the secret is in no process's environment."""
    secret = client_secret(settings.data_dir, GATEWAY_CLIENT_ID)
    secret_file = settings.data_dir.resolve() / SECRETS_DIR / GATEWAY_CLIENT_ID
    environment = {
        "CITIZEN_DISCLOSURE_CLIENT_ID": GATEWAY_CLIENT_ID,
        "CITIZEN_DISCLOSURE_CLIENT_SECRET_FILE": str(secret_file),
    }
    return LauncherClient(gateway_config(secret), secret, {"gateway": environment})


def platform_clients(settings: LauncherSettings) -> list[LauncherClient]:
    """Every client the launcher registers at the platform's auth server."""
    return [
        demo_platform(settings),
        graphiql_client(settings),
        gateway_client(settings),
        portal_client(settings),
    ]


def write_clients_file(
    target: Path, clients: Sequence[LauncherClient], operator_file: Path | None = None
) -> Path:
    """Write the operator's clients (if any) and `clients` as one file for an auth server.

    A client id in both is refused: which of the two the operator meant cannot be guessed."""
    try:
        operator = read_clients_file(operator_file) if operator_file else []
    except ClientConfigError as error:
        raise SystemExit(f"error: {error}") from None
    ours = {client.config.client_id for client in clients}
    clash = sorted(ours & {client.client_id for client in operator})
    if clash:
        raise SystemExit(
            f"error: AUTH_CLIENTS_FILE {operator_file}: the launcher registers {clash} itself; "
            "give your client another client_id"
        )
    entries = [
        client.model_dump(mode="json", exclude_none=True)
        for client in [*operator, *(c.config for c in clients)]
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(entries, indent=2) + "\n")
    partial.replace(target)
    return target


def quota_environment(clients_file: Path) -> dict[str, dict[str, str]]:
    """The gateway's per-client rate limits, from the quotas the written clients file
    registers (none registered: the gateway's own settings decide)."""
    quotas = {
        client.client_id: client.rate_limit
        for client in read_clients_file(clients_file)
        if client.rate_limit is not None
    }
    if not quotas:
        return {}
    return {"gateway": {"GATEWAY_RATE_LIMIT_CLIENTS": json.dumps(quotas)}}


def service_environment(clients: Sequence[LauncherClient]) -> dict[str, dict[str, str]]:
    """What each service is told about the clients it acts as, by service name."""
    merged: dict[str, dict[str, str]] = {}
    for client in clients:
        for service, variables in client.environment.items():
            merged.setdefault(service, {}).update(variables)
    return merged


def main(argv: list[str]) -> int:
    """`python -m launcher.clients OUT`: the clients file for a container set-up, where the
    gateway's secret comes from CITIZEN_DISCLOSURE_CLIENT_SECRET and AUTH_CLIENTS_FILE may name
    the operator's clients."""
    if len(argv) != 1:
        print("usage: python -m launcher.clients OUT", file=sys.stderr)
        return 2
    secret = os.environ.get("CITIZEN_DISCLOSURE_CLIENT_SECRET", "")
    if not secret:
        print("error: CITIZEN_DISCLOSURE_CLIENT_SECRET: required", file=sys.stderr)
        return 2
    operator = os.environ.get("AUTH_CLIENTS_FILE")
    gateway = LauncherClient(gateway_config(secret), secret)
    write_clients_file(Path(argv[0]), [gateway], Path(operator) if operator else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
