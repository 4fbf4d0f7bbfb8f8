"""The platform's services, in start order; each issue that adds a service adds it here."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gateway.guide import GUIDE_PATH
from launcher import eid
from launcher.clients import (
    ADMIN_TOKEN_FILE,
    CLIENTS_FILE,
    GRAPHIQL_CLIENT_ID,
    GRAPHIQL_SCOPE,
    PORTAL_PORT_OFFSET,
    portal_url,
)
from launcher.population import AUTH_POPULATION_FILE
from launcher.settings import LauncherSettings

# The agency subgraphs in start order; each is `python -m subgraphs.<name>` on base_port + 101...
AGENCIES = ("population", "tax", "social_insurance", "transport", "business", "life_events")
AGENCY_PORT_OFFSET = 101
# The mortgage bank example (examples/mortgage_bank/), a third-party platform on the public API.
BANK_PORT_OFFSET = 5
BANK_DATA_DIR = "mortgage-bank"


@dataclass(frozen=True)
class Service:
    name: str
    argv: tuple[str, ...]
    port: int
    health_path: str = "/health"
    public_path: str = "/"
    environment: Mapping[str, str] = field(default_factory=dict)  # on top of the launcher's
    # Prefixes of the launcher's variables this service is not given (what it needs of those
    # is in `environment`).
    withhold: tuple[str, ...] = ()
    note: str = ""  # printed after its URL

    def url(self, host: str, path: str | None = None) -> str:
        return f"http://{host}:{self.port}{self.public_path if path is None else path}"


def platform_services(settings: LauncherSettings) -> list[Service]:
    """Every service of the platform; the gateway comes after the services it joins, and the
    citizen portal last: it signs citizens in at auth and reads through the gateway.

    The trust chain is wired here: the gateway verifies the auth server's tokens (found
    through its discovery document, revocations polled from it) and signs an identity token
    for every subgraph request; the subgraphs check those against the gateway's JWKS, which
    they fetch when the first request arrives (the gateway starts after them). Every response
    disclosing a citizen's data to anyone else is recorded at the auth server's access log
    first. In production the eID stand-in starts before auth, which signs citizens in through
    it. Auth reads the clients file the launcher writes; credentials the services use (the
    gateway's, as a resource-server client) come from the clients the launcher registers
    (launcher/clients.py), added when it starts them."""
    host = settings.host
    data_dir = settings.data_dir.resolve()
    repository = Path(__file__).resolve().parent.parent
    supergraph = repository / "schema" / "supergraph.graphql"
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
    data_dir = settings.data_dir.resolve()
    # The supergraph names fixed ports; the gateway is told where the subgraphs are this time.
    # `consent` is the auth server's subgraph.
    subgraph_urls = {agency.name: agency.url(host) for agency in agencies}
    subgraph_urls["consent"] = f"http://{host}:{auth_port}/graphql"
    return [
        *agencies,
        *([_eid_standin(settings, gateway_jwks)] if settings.env == "production" else []),
        Service(
            name="auth",
            argv=(sys.executable, "-m", "auth", "--host", host, "--port", str(auth_port)),
            port=auth_port,
            public_path="/.well-known/openid-configuration",
            environment={
                "AUTH_ISSUER": issuer,
                "AUTH_CLIENTS_FILE": str(data_dir / CLIENTS_FILE),
                "CITIZEN_GATEWAY_JWKS_URL": gateway_jwks,
            },
        ),
        _mortgage_bank(settings, issuer, f"http://{host}:{gateway_port}/graphql"),
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
                # GraphiQL signs in at auth as the client launcher/clients.py registers.
                "GATEWAY_GRAPHIQL_CLIENT_ID": GRAPHIQL_CLIENT_ID,
                "GATEWAY_GRAPHIQL_SCOPE": GRAPHIQL_SCOPE,
                # The platforms' developer guide, served by the gateway and linked from GraphiQL.
                "GATEWAY_GUIDE_FILE": str(repository / "docs" / "platforms.md"),
                "GATEWAY_GRAPHIQL_GUIDE_URL": GUIDE_PATH,
                "GATEWAY_DISCLOSURE_SUBJECT": "Citizen.personalId",
                "GATEWAY_DISCLOSURE_HOOK": "auth.disclosures:record",
                # Static cost (docs/security.md): every field of `me` three levels down is
                # estimated at about 820, a child's life events at about 1,600; 5,000 leaves
                # room for those and refuses walks down generations of family lists.
                "GATEWAY_COST_BUDGET": "5000",
                "CITIZEN_DISCLOSURE_URL": f"{issuer}/access-log/disclosures",
            },
        ),
        Service(
            name="portal",
            argv=(
                sys.executable,
                "-m",
                "portal",
                "--host",
                host,
                "--port",
                str(settings.base_port + PORTAL_PORT_OFFSET),
            ),
            port=settings.base_port + PORTAL_PORT_OFFSET,
            environment={
                "PORTAL_ISSUER": issuer,
                "PORTAL_GATEWAY_URL": f"http://{host}:{gateway_port}/graphql",
                "PORTAL_PUBLIC_URL": portal_url(settings),
                "PORTAL_DATA_DIR": str(data_dir / "portal"),
            },
        ),
    ]


def _mortgage_bank(settings: LauncherSettings, issuer: str, gateway: str) -> Service:
    """The example platform registers itself at auth when it starts (RFC 7591, with auth's
    admin credential as the initial access token: launcher/clients.py), so it starts after
    auth; it reads through the gateway only when a citizen has shared, so before it is fine.
    It is a third party: none of the platform's own AUTH_* or GATEWAY_* settings."""
    port = settings.base_port + BANK_PORT_OFFSET
    data_dir = settings.data_dir.resolve()
    return Service(
        name="mortgage_bank",
        argv=(
            sys.executable,
            "-m",
            "examples.mortgage_bank",
            "--host",
            settings.host,
            "--port",
            str(port),
        ),
        port=port,
        environment={
            "BANK_ISSUER": issuer,
            "BANK_GATEWAY_URL": gateway,
            "BANK_DATA_DIR": str(data_dir / BANK_DATA_DIR),
            "BANK_INITIAL_ACCESS_TOKEN_FILE": str(data_dir / ADMIN_TOKEN_FILE),
        },
        withhold=("AUTH_", "GATEWAY_"),
    )


def _eid_standin(settings: LauncherSettings, gateway_jwks: str) -> Service:
    """Production signs citizens in through an eID: on one machine a second auth server, in
    development mode and on data of its own, stands in for it (launcher/eid.py). It knows the
    same people, and none of the operator's AUTH_* settings (database, clients, Redis)."""
    port = eid.standin_port(settings)
    return Service(
        name="eid",
        argv=(sys.executable, "-m", "auth", "--host", settings.host, "--port", str(port)),
        port=port,
        public_path="/.well-known/openid-configuration",
        environment={
            "CITIZEN_ENV": "development",
            "CITIZEN_DATA_DIR": str(eid.standin_dir(settings)),
            "CITIZEN_GATEWAY_JWKS_URL": gateway_jwks,
            "AUTH_ISSUER": eid.standin_issuer(settings),
            "AUTH_CLIENTS_FILE": str(eid.standin_dir(settings) / eid.CLIENTS_FILE),
            "AUTH_POPULATION_FILE": str(settings.data_dir.resolve() / AUTH_POPULATION_FILE),
        },
        withhold=("AUTH_",),
        note="a stand-in for the national eID: its test sign-in proves nobody's identity",
    )
