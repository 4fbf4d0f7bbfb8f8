from __future__ import annotations

from launcher.services import AGENCIES, platform_services
from launcher.settings import LauncherSettings


def test_agencies_start_before_the_gateway_on_their_own_ports() -> None:
    services = platform_services(LauncherSettings(base_port=5000))
    assert [s.name for s in services] == [*AGENCIES, "auth", "gateway"]
    agencies = services[: len(AGENCIES)]
    assert [s.port for s in agencies] == list(range(5101, 5101 + len(AGENCIES)))
    for service in agencies:
        assert service.argv[1:3] == ("-m", f"subgraphs.{service.name}")
        assert service.argv[-2:] == ("--port", str(service.port))
        assert service.health_path == "/health"
