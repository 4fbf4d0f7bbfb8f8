"""Override: @override moves a field to the new subgraph; progressive overrides carry a
label, percent(100) and percent(0) here so the outcome is deterministic (fixtures/override)."""

import re

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient, load_topic

TOPIC = "override"


def test_supergraph_keeps_both_sides_of_a_progressive_override() -> None:
    sdl = load_topic(TOPIC).supergraph
    assert '@link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)' in sdl
    fields = {m.group(1): m.group(0) for m in re.finditer(r"^\s+(\w+)(?:\(.*?\))?: .*$", sdl, re.M)}
    assert fields["price"].strip() == 'price: Int! @join__field(graph: NEW, override: "old")'
    assert fields["stock"].strip() == (
        'stock: Int! @join__field(graph: NEW, override: "old", overrideLabel: "percent(100)")'
        ' @join__field(graph: OLD, overrideLabel: "percent(100)")'
    )
    assert 'overrideLabel: "percent(0)"' in fields["rating"]


async def test_overridden_field_resolved_by_new_subgraph(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query("{ products { id name price } }")
    assert status == 200
    assert_data(
        body,
        {
            "products": [
                {"id": "1", "name": "Pen", "price": 1002},
                {"id": "2", "name": "Ink", "price": 1005},
            ]
        },
    )
    assert len(fed.subgraphs["new"].entity_requests()) == 1


async def test_override_from_entity_root(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ featured { price name } }")
    assert status == 200
    assert_data(body, {"featured": {"price": 1005, "name": "Ink"}})
    assert fed.subgraphs["new"].entity_requests() == []


async def test_progressive_override_percent_100_uses_new(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query("{ products { stock } }")
    assert status == 200
    assert_data(body, {"products": [{"stock": 1010}, {"stock": 1000}]})


async def test_progressive_override_percent_0_keeps_old(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ products { rating } }")
    assert status == 200
    assert_data(body, {"products": [{"rating": 4}, {"rating": 3}]})
    assert fed.subgraphs["new"].requests == []


def test_override_labels_setting_turns_a_label_on() -> None:
    """A label an operator lists is on for every request, percent or not."""
    from pathlib import Path

    from gateway.pipeline import Gateway
    from gateway.settings import GatewaySettings

    sdl = (Path(__file__).parent / "fixtures" / "override" / "supergraph.graphql").read_text()
    services = {}
    for labels in ([], ["percent(0)"]):
        gateway = Gateway(sdl, GatewaySettings(override_labels=labels))
        prepared = gateway.prepare("{ products { rating } }", None)
        plan = gateway.plan(prepared, {}, gateway.enabled_labels()).plan
        services[tuple(labels)] = [fetch.service_name for fetch in plan.fetches()]
    assert "old" in services[()] and "new" not in services[()]
    assert "new" in services[("percent(0)",)]
