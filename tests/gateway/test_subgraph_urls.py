"""GATEWAY_SUBGRAPH_URLS: subgraph URLs given at start replace the supergraph's
`@join__graph(url:)`, by subgraph name; an unknown name stops the start, naming the setting."""

import pytest

from gateway.errors import SupergraphError
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from tests.gateway.kit.federation import load_topic

SUPERGRAPH = load_topic("operations").supergraph


def _urls(gateway: Gateway) -> dict[str, str]:
    return {graph.name: graph.url for graph in gateway.supergraph.graphs.values()}


def test_urls_replace_the_supergraphs_by_name() -> None:
    before = _urls(Gateway(SUPERGRAPH))
    assert set(before) == {"store", "ratings"}
    settings = GatewaySettings(subgraph_urls={"ratings": "http://127.0.0.1:9/graphql"})
    after = _urls(Gateway(SUPERGRAPH, settings))
    assert after == {**before, "ratings": "http://127.0.0.1:9/graphql"}


def test_the_plan_fetches_from_the_given_url() -> None:
    settings = GatewaySettings(subgraph_urls={"store": "http://store.internal/graphql"})
    gateway = Gateway(SUPERGRAPH, settings)
    prepared = gateway.prepare('{ item(id: "1") { name } }', None)
    plan = gateway.plan(prepared, {}).plan
    assert "http://store.internal/graphql" in repr(plan)


def test_an_unknown_subgraph_stops_the_start() -> None:
    settings = GatewaySettings(subgraph_urls={"stock": "http://127.0.0.1:9/graphql"})
    with pytest.raises(SupergraphError) as error:
        Gateway(SUPERGRAPH, settings)
    assert str(error.value) == (
        "GATEWAY_SUBGRAPH_URLS: no subgraph named 'stock' to give a url to "
        "(the supergraph has ratings, store)"
    )


def test_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_SUBGRAPH_URLS", '{"store": "http://store.internal:8080/graphql"}')
    assert GatewaySettings().subgraph_urls == {"store": "http://store.internal:8080/graphql"}
