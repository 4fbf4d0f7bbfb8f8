from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from launcher.clients import admin_token_environment, platform_clients, service_environment
from launcher.services import AGENCIES, BANK_PORT_OFFSET, platform_services
from launcher.settings import LauncherSettings
from tests.gateway.kit.federation import load_topic

ROOT = Path(__file__).resolve().parent.parent.parent


def test_agencies_start_before_the_gateway_on_their_own_ports() -> None:
    services = platform_services(LauncherSettings(base_port=5000))
    assert [s.name for s in services] == [*AGENCIES, "auth", "mortgage_bank", "gateway", "portal"]
    agencies = services[: len(AGENCIES)]
    assert [s.port for s in agencies] == list(range(5101, 5101 + len(AGENCIES)))
    for service in agencies:
        assert service.argv[1:3] == ("-m", f"subgraphs.{service.name}")
        assert service.argv[-2:] == ("--port", str(service.port))
        assert service.health_path == "/health"


def test_the_gateway_is_told_where_every_subgraph_of_the_supergraph_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The supergraph names ports 4101...; whatever the base port, the launcher gives the
    gateway this run's URL for each of its subgraphs (`consent` is the auth server), and
    settings the gateway accepts: the supergraph's @policy needs the launcher's policy hook."""
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    services = {s.name: s for s in platform_services(settings)}
    # What the launcher gives the gateway: its services' environment, and the credentials of
    # the client it acts as (written into the data dir before anything starts).
    credentials = service_environment(platform_clients(settings))["gateway"]
    for name, value in {**services["gateway"].environment, **credentials}.items():
        monkeypatch.setenv(name, value)
    supergraph = (ROOT / "schema" / "supergraph.graphql").read_text()
    gateway = Gateway(supergraph, GatewaySettings())
    assert gateway.disclosures is not None
    assert (gateway.disclosures.subject, gateway.disclosures.key) == ("Citizen", "personalId")
    assert {g.name: g.url for g in gateway.supergraph.graphs.values()} == {
        **{name: f"http://127.0.0.1:{services[name].port}/graphql" for name in AGENCIES},
        "consent": "http://127.0.0.1:5001/graphql",
    }


def test_production_adds_a_stand_in_eid_on_data_of_its_own(tmp_path: Path) -> None:
    """The stand-in is a second auth server in development mode (its test sign-in plays the
    eID) on base + 2; it gets none of the operator's AUTH_* settings, only its own."""
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path, env="production")
    services = {s.name: s for s in platform_services(settings)}
    assert list(services) == [*AGENCIES, "eid", "auth", "mortgage_bank", "gateway", "portal"]
    eid = services["eid"]
    assert eid.port == 5002 and eid.argv[1:3] == ("-m", "auth")
    assert eid.withhold == ("AUTH_",) and "stand-in" in eid.note
    assert eid.environment["CITIZEN_ENV"] == "development"
    assert eid.environment["CITIZEN_DATA_DIR"] == str(tmp_path / "eid-standin")
    assert eid.environment["AUTH_ISSUER"] == "http://127.0.0.1:5002"
    assert eid.environment["AUTH_POPULATION_FILE"] == str(tmp_path / "auth-population.sqlite3")
    assert services["auth"].environment["AUTH_CLIENTS_FILE"] == str(tmp_path / "auth-clients.json")
    development = platform_services(LauncherSettings(base_port=5000, data_dir=tmp_path))
    assert "eid" not in {s.name for s in development}


@pytest.mark.parametrize("env", ["development", "production"])
async def test_graphiql_links_to_the_platforms_guide_the_gateway_serves(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path, env=env)
    gateway = next(s for s in platform_services(settings) if s.name == "gateway")
    for name in ("GATEWAY_GUIDE_FILE", "GATEWAY_GRAPHIQL_GUIDE_URL"):
        monkeypatch.setenv(name, gateway.environment[name])
    monkeypatch.setenv("GATEWAY_GRAPHIQL", "true")  # as the launcher sets it in both profiles
    supergraph = load_topic("operations").supergraph
    app = create_app(supergraph, settings=GatewaySettings())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:5000") as client,
    ):
        page = await client.get("/graphql", headers={"accept": "text/html"})
        (link,) = re.findall(r'<a href="([^"]*)">Developer guide</a>', page.text)
        guide = await client.get(urljoin(str(page.url), link))
    assert guide.status_code == 200
    assert "<h1>For platforms: the developer guide</h1>" in guide.text


def test_the_mortgage_bank_registers_with_auths_admin_credential_as_a_third_party(
    tmp_path: Path,
) -> None:
    """The example platform starts after auth (it registers itself when it starts) on base + 5,
    told auth's issuer, the gateway and the file holding the initial access token, and none
    of the platform's own AUTH_* or GATEWAY_* settings."""
    settings = LauncherSettings(base_port=5000, data_dir=tmp_path)
    services = {s.name: s for s in platform_services(settings)}
    bank = services["mortgage_bank"]
    names = list(services)
    assert names.index("auth") < names.index("mortgage_bank")
    assert bank.port == 5000 + BANK_PORT_OFFSET == 5005
    assert bank.argv[1:3] == ("-m", "examples.mortgage_bank")
    assert bank.environment["BANK_ISSUER"] == "http://127.0.0.1:5001"
    assert bank.environment["BANK_GATEWAY_URL"] == "http://127.0.0.1:5000/graphql"
    token_file = bank.environment["BANK_INITIAL_ACCESS_TOKEN_FILE"]
    assert token_file == str(tmp_path / "auth-admin-token")
    assert set(bank.withhold) == {"AUTH_", "GATEWAY_"}
    # Development's auth makes that file itself; production's is handed its content.
    assert admin_token_environment(settings, None) == {}
    production = LauncherSettings(base_port=5000, data_dir=tmp_path, env="production")
    given = admin_token_environment(production, None)["auth"]["AUTH_ADMIN_TOKEN"]
    assert len(given) >= 32 and (tmp_path / "auth-admin-token").read_text() == given
    assert oct((tmp_path / "auth-admin-token").stat().st_mode & 0o777) == "0o600"
    assert admin_token_environment(production, None)["auth"]["AUTH_ADMIN_TOKEN"] == given
    # An operator's own credential is theirs to hand out.
    assert admin_token_environment(production, "operators-own") == {}
