"""Reading a supergraph: what the model says about who resolves what, and supergraphs the
gateway cannot serve stopping the start with a message naming the element at fault."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.api_schema import build_api_schema
from gateway.errors import PlanningError, SupergraphError
from gateway.pipeline import Gateway
from gateway.supergraph import parse_supergraph

_FIXTURES = Path(__file__).parent / "fixtures"
_REQUIRES = (_FIXTURES / "requires" / "supergraph.graphql").read_text()


def _broken(old: str, new: str, sdl: str = _REQUIRES) -> str:
    assert old in sdl, old
    return sdl.replace(old, new, 1)


def test_fields_know_their_subgraphs_and_requirements() -> None:
    supergraph = parse_supergraph(_REQUIRES)
    shipping_cost = supergraph.types["Product"].fields["shippingCost"]
    assert set(shipping_cost.resolvers) == {"SHIPPING"}
    assert shipping_cost.external_in == {"INSURANCE"}
    requires = shipping_cost.resolvers["SHIPPING"].requires
    assert requires is not None
    assert [item.response_key for item in requires.items] == ["weight", "dimensions"]


def test_federation_1_owner_and_extensions() -> None:
    supergraph = parse_supergraph((_FIXTURES / "federation1" / "supergraph.graphql").read_text())
    review = supergraph.types["Review"]
    assert set(review.fields["body"].resolvers) == {"REVIEWS"}
    # an extending subgraph can return the fields of its own key
    assert set(review.fields["id"].resolvers) == {"REVIEWS", "RATINGS"}


def test_an_operation_that_cannot_be_planned_is_planned_once() -> None:
    sdl = _broken(
        "products: [Product!]! @join__field(graph: PRODUCTS)",
        "products: [Product!]! @join__field(graph: PRODUCTS, external: true)",
    )
    gateway = Gateway(sdl)
    prepared = gateway.prepare("{ products { name } }", None)
    with pytest.raises(PlanningError, match=r"Query\.products"):
        gateway.plan(prepared, {})
    (normalised,) = prepared.by_conditions.values()
    (cached,) = normalised.plans.values()
    with pytest.raises(PlanningError) as again:
        gateway.plan(prepared, {})
    assert again.value is cached


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            "@join__field(graph: SHIPPING, requires:",
            "@join__field(graph: NOWHERE, requires:",
            "NOWHERE",
        ),
        (
            'requires: "weight dimensions { length width }"',
            'requires: "weight {"',
            "Product.shippingCost",
        ),
        (
            '@join__type(graph: PRODUCTS, key: "id")',
            '@join__type(graph: PRODUCTS, key: "id {")',
            "Product",
        ),
        ('url: "http://products.subgraph.invalid/graphql"', 'url: ""', "products"),
    ],
)
def test_malformed_supergraphs_name_the_element_at_fault(old: str, new: str, named: str) -> None:
    with pytest.raises(SupergraphError, match=named):
        parse_supergraph(_broken(old, new))


def test_a_feature_required_for_execution_that_is_unknown_stops_the_start() -> None:
    sdl = _broken(
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n'
        '  @link(url: "https://specs.example.org/magic/v1.0", for: EXECUTION)',
    )
    with pytest.raises(SupergraphError, match=r"magic/v1\.0"):
        parse_supergraph(sdl)


def test_not_a_supergraph() -> None:
    with pytest.raises(SupergraphError, match="join"):
        parse_supergraph("type Query { hello: String }")
    with pytest.raises(SupergraphError, match="does not parse"):
        parse_supergraph("type Query {")


def test_api_schema_has_no_federation_machinery() -> None:
    schema = build_api_schema(parse_supergraph(_REQUIRES))
    assert not [name for name in schema.type_map if name.startswith(("join__", "link__"))]
    assert not [d.name for d in schema.directives if d.name in ("join__field", "link")]


def test_the_server_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "supergraph.graphql"
    broken.write_text(_broken('key: "id")', 'key: "id {")'))
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "--supergraph", str(broken), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Product" in result.stderr and str(broken) in result.stderr
