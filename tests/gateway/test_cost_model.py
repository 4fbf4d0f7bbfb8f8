"""Static cost, the model and the calculator without HTTP: directives read under whatever names
the supergraph's @link gives them, default weights where the cost spec is not linked,
malformed directives stopping the start, what is compiled once per operation, and when the
stage does nothing at all."""

import re
from typing import Any

import pytest

from gateway.api_schema import build_api_schema
from gateway.cost import CostControl, CostModel, operation_cost
from gateway.errors import ConfigurationError, SupergraphError
from gateway.limits import RequestLimits
from gateway.operation import RequestError, normalise, prepare
from gateway.settings import GatewaySettings, check_settings
from gateway.supergraph import parse_supergraph
from tests.gateway.kit.federation import load_topic

_SUPERGRAPH = load_topic("cost").supergraph
_LIMITS = RequestLimits.from_settings(GatewaySettings())
_QUERIES = [
    ("{ shop { name } tags }", {}),
    ("{ featured { name price { amount } rating } }", {}),
    ("query ($n: Int) { products(first: $n) { related { reviews { body } } } }", {"n": 3}),
    ('{ search(text: "a", fuzzy: true) { name } }', {}),
    ("{ productPage(first: 4) { edges { node { name } } } }", {}),
    ("{ report { lines } media { ... on Book { chapters { title } } } }", {}),
]


def _estimate(sdl: str, query: str, variables: dict[str, Any], list_size: int = 10) -> int:
    supergraph = parse_supergraph(sdl)
    schema = build_api_schema(supergraph)
    operation = normalise(schema, prepare(schema, query, None, _LIMITS), variables)
    estimated, problems = operation_cost(
        CostModel.from_supergraph(supergraph, list_size), operation
    ).estimate(variables)
    assert problems == []
    return estimated


def _renamed(sdl: str, link: str, cost: str, list_size: str) -> str:
    sdl = sdl.replace(
        '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])', link
    )
    sdl = re.sub(r"@cost\(", f"@{cost}(", sdl)
    return re.sub(r"@listSize\(", f"@{list_size}(", sdl)


@pytest.mark.parametrize(("query", "variables"), _QUERIES)
def test_renamed_directives_cost_the_same(query: str, variables: dict[str, Any]) -> None:
    expected = _estimate(_SUPERGRAPH, query, variables)
    imported_as = _renamed(
        _SUPERGRAPH,
        '@link(url: "https://specs.apollo.dev/cost/v0.1", as: "price",'
        ' import: [{name: "@listSize", as: "@size"}])',
        "price",
        "size",
    )
    namespaced = _renamed(
        _SUPERGRAPH,
        '@link(url: "https://specs.apollo.dev/cost/v0.1", as: "price")',
        "price",
        "price__listSize",
    )
    assert _estimate(imported_as, query, variables) == expected
    assert _estimate(namespaced, query, variables) == expected


def test_renamed_directives_stay_out_of_the_api_schema() -> None:
    imported_as = _renamed(
        _SUPERGRAPH,
        '@link(url: "https://specs.apollo.dev/cost/v0.1", as: "price",'
        ' import: [{name: "@listSize", as: "@size"}])',
        "price",
        "size",
    )
    for sdl in (_SUPERGRAPH, imported_as):
        directives = {d.name for d in build_api_schema(parse_supergraph(sdl)).directives}
        assert directives.isdisjoint({"cost", "listSize", "price", "size"})


def test_without_the_cost_spec_every_field_has_its_default_weight() -> None:
    unlinked = _SUPERGRAPH.replace(
        '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])', ""
    )
    unlinked = re.sub(r"directive @(cost|listSize)\b[^\n]*\n", "", unlinked)
    unlinked = re.sub(r"@(cost|listSize)\([^)]*\)", "", unlinked)
    # report: 1 (no @cost 50); featured: 10 (no assumedSize 3) x (1 + Money 1, not 2).
    assert _estimate(unlinked, "{ report { lines } }", {}) == 1
    assert _estimate(unlinked, "{ featured { price { amount } } }", {}) == 10 * (1 + 1)
    assert _estimate(unlinked, "{ featured { price { amount } } }", {}, list_size=2) == 2 * 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("@cost(weight: 50)", "@cost(weight: -1)"), "Query.report: @cost(weight: -1)"),
        (
            ('slicingArguments: ["limit"]', 'slicingArguments: ["size"]'),
            "Query.search: @listSize(slicingArguments:) names size",
        ),
        (('sizedFields: ["edges"]', 'sizedFields: ["nodes"]'), "sizedFields:) names nodes"),
        (("@listSize(assumedSize: 3)", '@listSize(assumedSize: "3")'), "Query.featured"),
    ],
)
def test_malformed_directives_stop_the_start(edit: tuple[str, str], message: str) -> None:
    assert edit[0] in _SUPERGRAPH
    supergraph = parse_supergraph(_SUPERGRAPH.replace(*edit))
    with pytest.raises(SupergraphError, match=re.escape(message)):
        CostModel.from_supergraph(supergraph, 10)


def test_an_operation_is_compiled_once_and_to_a_number_unless_a_variable_sizes_a_list() -> None:
    supergraph = parse_supergraph(_SUPERGRAPH)
    schema = build_api_schema(supergraph)
    model = CostModel.from_supergraph(supergraph, 10)
    fixed = normalise(schema, prepare(schema, "{ products(first: 2) { name } }", None, _LIMITS), {})
    assert operation_cost(model, fixed).expression == 2
    assert operation_cost(model, fixed) is operation_cost(model, fixed)
    query = "query ($n: Int) { products(first: $n) { name } }"
    varying = normalise(schema, prepare(schema, query, None, _LIMITS), {})
    compiled = operation_cost(model, varying)
    assert not isinstance(compiled.expression, int)
    assert compiled.estimate({"n": 7}) == (7, [])
    assert compiled.estimate({"n": 70}) == (70, [])


def test_the_stage_is_skipped_unless_it_has_something_to_do() -> None:
    supergraph = parse_supergraph(_SUPERGRAPH)
    assert CostControl.build(supergraph, GatewaySettings()) is None
    assert CostControl.build(supergraph, GatewaySettings(cost_mode="off")) is None
    assert CostControl.build(supergraph, GatewaySettings(cost_budget=5)) is not None
    assert CostControl.build(supergraph, GatewaySettings(cost_in_extensions=True)) is not None
    assert CostControl.build(supergraph, GatewaySettings(cost_mode="measure")) is not None


def test_enforcing_without_extensions_refuses_but_reports_nothing() -> None:
    supergraph = parse_supergraph(_SUPERGRAPH)
    schema = build_api_schema(supergraph)
    control = CostControl.build(supergraph, GatewaySettings(cost_budget=5))
    assert control is not None
    small = normalise(schema, prepare(schema, "{ products(first: 5) { name } }", None, _LIMITS), {})
    assert control.check(small, {}) is None
    big = normalise(schema, prepare(schema, "{ products(first: 6) { name } }", None, _LIMITS), {})
    with pytest.raises(RequestError) as refused:
        control.check(big, {})
    assert refused.value.errors[0]["extensions"]["cost"] == {"estimated": 6, "budget": 5}


@pytest.mark.parametrize(
    "settings",
    [{"cost_mode": "off", "cost_budget": 100}, {"cost_mode": "off", "cost_in_extensions": True}],
)
def test_settings_that_would_be_ignored_stop_the_start(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="GATEWAY_COST_MODE"):
        check_settings(GatewaySettings(**settings))
