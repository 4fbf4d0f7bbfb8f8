from __future__ import annotations

from pathlib import Path

import pytest

from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from launcher.clients import platform_clients, service_environment
from launcher.services import AGENCIES, platform_services
from launcher.settings import LauncherSettings

ROOT = Path(__file__).resolve().parent.parent.parent


def test_agencies_start_before_the_gateway_on_their_own_ports() -> None:
    services = platform_services(LauncherSettings(base_port=5000))
    assert [s.name for s in services] == [*AGENCIES, "auth", "gateway", "portal"]
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
    assert list(services) == [*AGENCIES, "eid", "auth", "gateway", "portal"]
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
