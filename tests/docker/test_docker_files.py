"""The docker/ files stay in step with the code: no engine runs here, so these checks read the
files and hold every command, setting and path in them against the project."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import yaml

from auth.disclosures import DisclosureLogSettings
from auth.settings import AuthSettings
from gateway.settings import GatewaySettings
from gateway.supergraph import parse_supergraph
from subgraphs.common.settings import GATEWAY_ENV_PREFIX, AgencySettings, GatewayTrust

_ROOT = Path(__file__).resolve().parents[2]
_COMPOSE = _ROOT / "docker" / "compose.yaml"
_DOCKERFILE = _ROOT / "docker" / "Dockerfile"


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key given twice in one mapping, as docker compose does (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Keys as written, before `<<` merges in others (which those written may override).
        keys = [key.value for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"]
        repeated = {key for key in keys if keys.count(key) > 1}
        assert not repeated, f"{sorted(repeated)} given twice at line {node.start_mark.line + 1}"
        return super().construct_mapping(node, deep=deep)


def _services() -> dict[str, dict[str, Any]]:
    compose = yaml.load(_COMPOSE.read_text(), Loader=_StrictLoader)
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _known_variables() -> set[str]:
    names = {"GATEWAY_" + name.upper() for name in GatewaySettings.model_fields}
    for name, field in AuthSettings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None)
        names |= set(aliases) if aliases else {"AUTH_" + name.upper()}
    names |= {"CITIZEN_" + name.upper() for name in AgencySettings.model_fields}
    names |= {GATEWAY_ENV_PREFIX + name.upper() for name in GatewayTrust.model_fields}
    names |= {"CITIZEN_DISCLOSURE_" + name.upper() for name in DisclosureLogSettings.model_fields}
    return names


def test_every_command_runs_a_module_of_the_project() -> None:
    for name, service in _services().items():
        command = service.get("command")
        if service.get("image") != "citizen-account:latest" or command is None:
            continue
        assert command[:2] == ["python", "-m"], name
        assert importlib.util.find_spec(command[2]) is not None, f"{name}: {command[2]}"


def test_every_setting_is_one_the_services_read() -> None:
    known = _known_variables()
    for name, service in _services().items():
        for variable in service.get("environment") or {}:
            if re.match(r"^(GATEWAY|AUTH|CITIZEN)_", variable):
                assert variable in known, f"{name}: {variable} is not a setting"


def test_gateway_knows_the_url_of_every_subgraph_in_the_supergraph() -> None:
    gateway = _services()["gateway"]
    urls = json.loads(gateway["environment"]["GATEWAY_SUBGRAPH_URLS"])
    supergraph = parse_supergraph((_ROOT / "schema" / "supergraph.graphql").read_text())
    assert set(urls) == {graph.name for graph in supergraph.graphs.values()}
    for url in urls.values():
        host = url.split("//", 1)[1].split(":", 1)[0]
        assert host in _services(), f"{url} names no service"


def test_dependencies_name_defined_services() -> None:
    services = _services()
    for name, service in services.items():
        for dependency in service.get("depends_on") or ():
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_no_secret_is_written_in_the_compose_file() -> None:
    text = _COMPOSE.read_text()
    for variable in ("POSTGRES_PASSWORD", "AUTH_ADMIN_TOKEN", "CITIZEN_DISCLOSURE_CLIENT_SECRET"):
        assert re.search(rf"{variable}: \$\{{{variable}:\?", text), variable


def test_dockerfile_copies_only_paths_that_exist() -> None:
    for line in _DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (_ROOT / source).exists(), source
