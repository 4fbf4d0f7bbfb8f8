"""The platform's services, in start order; each issue that adds a service adds it here."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from launcher.clients import CLIENTS_FILE, GATEWAY_CLIENT_ID, GATEWAY_SECRET_FILE
from launcher.settings import LauncherSettings

# The agency subgraphs in start order; each is `python -m subgraphs.<name>` on base_port + 101...
AGENCIES = ("population", "tax", "social_insurance", "transport", "business", "life_events")
AGENCY_PORT_OFFSET = 101


@dataclass(frozen=True)
class Service:
    name: str
    argv: tuple[str, ...]
    port: int
    health_path: str = "/health"
    public_path: str = "/"
    environment: Mapping[str, str] = field(default_factory=dict)  # on top of the launcher's

    def url(self, host: str, path: str | None = None) -> str:
        return f"http://{host}:{self.port}{self.public_path if path is None else path}"


def platform_services(settings: LauncherSettings) -> list[Service]:
    """Every service of the platform; the gateway comes last because it needs the others.

    The trust chain is wired here: the gateway verifies the auth server's tokens (found
    through its discovery document, revocations polled from it) and signs an identity token
    for every subgraph request; the subgraphs check those against the gateway's JWKS, which
    they fetch when the first request arrives (the gateway starts after them). Every response
    disclosing a citizen's data to anyone else is recorded at the auth server's access log
    first, the gateway signing in there as a resource-server client (the clients file and its
    secret are written into the data dir at start: launcher/clients.py)."""
    host = settings.host
    data_dir = settings.data_dir.resolve()
    supergraph = Path(__file__).resolve().parent.parent / "schema" / "supergraph.graphql"
    gateway_port = settings.base_port
    gateway_jwks = f"http://{host}:{gateway_port}/.well-known/jwks.json"
    agencies = [
        Service(
            name=agency,
            argv=(sys.executable, "-m", f"subgraphs.{agency}", "--host", host, "--port", str(port)),
            port=port,
            public_path="/graphql",
            environment={"CITIZEN_GATEWAY_JWKS_URL": gateway_jwks},
        )
        for port, agency in enumerate(AGENCIES, start=settings.base_port + AGENCY_PORT_OFFSET)
    ]
    auth_port = settings.base_port + 1
    issuer = f"http://{host}:{auth_port}"
    # The supergraph names fixed ports; the gateway is told where the subgraphs are this time.
    # `consent` is the auth server's subgraph.
    subgraph_urls = {agency.name: agency.url(host) for agency in agencies}
    subgraph_urls["consent"] = f"http://{host}:{auth_port}/graphql"
    return [
        *agencies,
        Service(
            name="auth",
            argv=(sys.executable, "-m", "auth", "--host", host, "--port", str(auth_port)),
            port=auth_port,
            public_path="/.well-known/openid-configuration",
            environment={
                "AUTH_ISSUER": issuer,
                "CITIZEN_GATEWAY_JWKS_URL": gateway_jwks,
                "AUTH_CLIENTS_FILE": str(data_dir / CLIENTS_FILE),
            },
        ),
        Service(
            name="gateway",
            argv=(
                sys.executable,
                "-m",
                "gateway",
                "--supergraph",
                str(supergraph),
                "--host",
                host,
                "--port",
                str(gateway_port),
            ),
            port=gateway_port,
            public_path="/graphql",
            environment={
                "GATEWAY_SUBGRAPH_URLS": json.dumps(subgraph_urls),
                "GATEWAY_ISSUER": issuer,
                "GATEWAY_AUDIENCE": "citizen-account",
                "GATEWAY_REVOCATION_POLL_URL": f"{issuer}/revocations",
                "GATEWAY_POLICY_HOOK": "auth.policies:decide",
                "GATEWAY_IDENTITY_KEY_DIR": str(data_dir / "gateway-keys"),
                "GATEWAY_DISCLOSURE_SUBJECT": "Citizen.personalId",
                "GATEWAY_DISCLOSURE_HOOK": "auth.disclosures:record",
                "CITIZEN_DISCLOSURE_URL": f"{issuer}/access-log/disclosures",
                "CITIZEN_DISCLOSURE_CLIENT_ID": GATEWAY_CLIENT_ID,
                "CITIZEN_DISCLOSURE_CLIENT_SECRET_FILE": str(data_dir / GATEWAY_SECRET_FILE),
            },
        ),
    ]
