"""The platform's services, in start order; each issue that adds a service adds it here."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from launcher.clients import GRAPHIQL_CLIENT_ID, GRAPHIQL_SCOPE
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
    they fetch when the first request arrives (the gateway starts after them)."""
    host = settings.host
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
            environment={"AUTH_ISSUER": issuer, "CITIZEN_GATEWAY_JWKS_URL": gateway_jwks},
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
                "GATEWAY_IDENTITY_KEY_DIR": str(settings.data_dir.resolve() / "gateway-keys"),
                # GraphiQL signs in at auth as the client launcher/clients.py registers.
                "GATEWAY_GRAPHIQL_CLIENT_ID": GRAPHIQL_CLIENT_ID,
                "GATEWAY_GRAPHIQL_SCOPE": GRAPHIQL_SCOPE,
            },
        ),
    ]
