"""supergraph.yaml (rover's format): each kind of schema source, and refusals naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from compose_testing import FIXTURES

from schema import __main__ as cli
from schema.config import ConfigError, read_config
from schema.sources import sdl_from_object
from subgraphs.common.settings import AgencySettings, GatewayTrust
from subgraphs.seed import seed
from subgraphs.tax.app import create_tax_app
from tests.auth.support import free_port, serve
from tests.subgraphs.gateway_tokens import serve_gateway

CHECK = FIXTURES / "check"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "supergraph.yaml"
    path.write_text(text)
    return path


def test_file_schemas_are_read_relative_to_the_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the yaml's directory
    subgraphs = read_config(CHECK / "supergraph.yaml")
    assert [(s.name, s.url) for s in subgraphs] == [
        ("registry", "http://registry.example/graphql"),
        ("benefits", "http://benefits.example/graphql"),
    ]
    assert subgraphs[0].sdl == (CHECK / "registry.graphql").read_text()


def test_compose_reads_the_config(tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    argv = ["compose", "--config", str(CHECK / "supergraph.yaml"), "--out", str(out)]
    assert cli.main(argv) == 0
    supergraph = out.read_text()
    assert 'REGISTRY @join__graph(name: "registry", url: "http://registry.example/graphql")' in (
        supergraph
    )
    assert "benefits(year: Int): [Benefit!]!" in supergraph


def test_inline_sdl(tmp_path: Path) -> None:
    sdl = (CHECK / "benefits.graphql").read_text()
    indented = "".join(f"        {line}\n" for line in sdl.splitlines())
    config = _write(
        tmp_path,
        "subgraphs:\n  benefits:\n    routing_url: http://b.example/graphql\n"
        f"    schema:\n      sdl: |\n{indented}",
    )
    [subgraph] = read_config(config)
    assert subgraph.sdl.strip() == sdl.strip()


def test_subgraph_url_fetches_from_a_running_subgraph(tmp_path: Path) -> None:
    """The tax subgraph, served by uvicorn, answers `_service` only with the gateway's
    identity token: `introspection_headers` carries it, as rover's config does."""
    seed(tmp_path, 10, agencies=["tax"])
    with serve_gateway() as gateway:
        trust = GatewayTrust(jwks_url=gateway.jwks_url)
        app = create_tax_app(AgencySettings(data_dir=tmp_path, gateway=trust))
        with serve(app, free_port()) as url:
            token = gateway.mint("tax")
            config = _write(
                tmp_path,
                f"federation_version: 2\nsubgraphs:\n  tax:\n    schema:\n"
                f"      subgraph_url: {url}/graphql\n"
                f"      introspection_headers:\n        Authorization: Bearer {token}\n",
            )
            [tax] = read_config(config)
            without_token = _write(
                tmp_path, f"subgraphs:\n  tax:\n    schema:\n      subgraph_url: {url}/graphql\n"
            )
            with pytest.raises(ConfigError) as refused:
                read_config(without_token)
        app.state.database.close()
    assert tax.url == f"{url}/graphql"  # routing_url defaults to subgraph_url
    assert tax.sdl == sdl_from_object("tax", "subgraphs.tax.schema:schema")
    assert "subgraphs.tax.schema.subgraph_url" in str(refused.value)
    assert "401" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            "subgraphs:\n  tax:\n    routing_url: http://t\n    schema:\n"
            "      graphref: citizen@current\n      subgraph: tax\n",
            "subgraphs.tax.schema.graphref",
            "Apollo GraphOS are not supported",
        ),
        (
            "subgraphs:\n  tax:\n    schema:\n      file: tax.graphql\n",
            "subgraphs.tax.routing_url",
            "is required for a `file` schema",
        ),
        (
            "subgraphs:\n  tax:\n    routing_url: http://t\n    schema:\n"
            "      file: tax.graphql\n      sdl: 'type Query { a: Int }'\n",
            "subgraphs.tax.schema",
            "needs exactly one of file, subgraph_url, sdl, graphref; found file, sdl",
        ),
        (
            "subgraphs:\n  tax:\n    routing_url: http://t\n    schema:\n      path: tax.graphql\n",
            "subgraphs.tax.schema",
            "found none",
        ),
        (
            "subgraphs:\n  tax:\n    routing_url: http://t\n    schema:\n      file: tax.graphql\n"
            "      introspection_headers: {a: b}\n",
            "subgraphs.tax.schema.introspection_headers",
            "unknown key for a `file` schema",
        ),
        (
            "subgraphs:\n  tax:\n    url: http://t\n    schema:\n      file: tax.graphql\n",
            "subgraphs.tax.url",
            "unknown key",
        ),
        (
            "federation_version: 1\nsubgraphs:\n  tax:\n    routing_url: http://t\n"
            "    schema:\n      file: tax.graphql\n",
            "federation_version",
            "composes Federation 2",
        ),
        ("subgraphs: {}\n", "subgraphs", "must be a mapping of subgraph names"),
        (
            "subgraphs:\n  tax:\n    routing_url: http://t\n"
            "    schema:\n      file: missing.graphql\n",
            "subgraphs.tax.schema.file",
            "cannot read",
        ),
    ],
)
def test_bad_configs_are_refused_naming_the_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    config = _write(tmp_path, text)
    with pytest.raises(ConfigError) as refused:
        read_config(config)
    assert f"{config}: {key}: " in str(refused.value)
    assert problem in str(refused.value)


def test_yaml_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    config = _write(tmp_path, "subgraphs:\n  tax: [unclosed\n")
    with pytest.raises(ConfigError, match="is not YAML"):
        read_config(config)


def test_yaml_tags_are_not_constructed(tmp_path: Path) -> None:
    """A safe loader: a tag that would build a Python object is an error, not an object."""
    config = _write(tmp_path, "subgraphs: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="is not YAML"):
        read_config(config)


def test_compose_exits_2_on_a_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path, "subgraphs:\n  tax:\n    schema:\n      file: tax.graphql\n")
    assert cli.main(["compose", "--config", str(config), "--out", "-"]) == 2
    assert "subgraphs.tax.routing_url" in capsys.readouterr().err


def test_compose_refuses_config_with_other_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdl = f"benefits=http://b.example/graphql={CHECK / 'benefits.graphql'}"
    argv = ["compose", "--config", str(CHECK / "supergraph.yaml"), "--sdl", sdl, "--out", "-"]
    assert cli.main(argv) == 2
    assert "leave out --subgraph and --sdl" in capsys.readouterr().err
