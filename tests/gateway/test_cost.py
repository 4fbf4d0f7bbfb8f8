"""Static cost (fixtures/cost): each operation's estimate from @cost and @listSize, shown in
`extensions.cost` (GATEWAY_COST_IN_EXTENSIONS), and an operation over the budget refused with
400 and COST_ESTIMATED_TOO_EXPENSIVE before any subgraph is asked. Each expected estimate is
worked out in the test from the weights in the fixture's SDL."""

from typing import Any

from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "cost"
BUDGET = 100
GATEWAY_SETTINGS = {"cost_budget": BUDGET, "cost_in_extensions": True}


async def estimate(gw: GatewayClient, query: str, variables: dict[str, Any] | None = None) -> int:
    status, body = await gw.query(query, variables)
    assert status == 200, body
    assert "errors" not in body, body
    assert body["extensions"]["cost"]["budget"] == BUDGET
    estimated = body["extensions"]["cost"]["estimated"]
    assert isinstance(estimated, int)
    return estimated


async def refusal(
    gw: GatewayClient, fed: Federation, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    before = [len(s.requests) for s in fed.subgraphs.values()]
    status, body = await gw.query(query, variables)
    assert status == 400, body
    assert "data" not in body
    assert [len(s.requests) for s in fed.subgraphs.values()] == before, "nothing was fetched"
    (error,) = body["errors"]
    return dict(error)


async def test_objects_cost_one_and_scalars_nothing(gw: GatewayClient) -> None:
    # shop: an object (1) with a scalar (0); tags: a list of scalars, 10 (default size) x 0.
    assert await estimate(gw, "{ shop { name } tags }") == 1


async def test_a_list_without_list_size_counts_the_default_size(gw: GatewayClient) -> None:
    # report.lines has no @listSize: 10 x String (0); report itself weighs 50 (@cost).
    assert await estimate(gw, "{ report { lines } }") == 50


async def test_assumed_size_multiplies_the_selection(gw: GatewayClient) -> None:
    assert await estimate(gw, "{ featured { name } }") == 3 * 1


async def test_slicing_argument_given_literally_sizes_the_list(gw: GatewayClient) -> None:
    _, body = await gw.query("{ products(first: 2) { name } }")
    assert body["data"] == {"products": [{"name": "apple"}, {"name": "avocado"}]}
    assert body["extensions"]["cost"] == {"estimated": 2 * 1, "budget": BUDGET}


async def test_slicing_argument_given_as_a_variable_is_read_per_request(
    gw: GatewayClient, fed: Federation
) -> None:
    query = "query ($n: Int) { products(first: $n) { name } }"
    assert await estimate(gw, query, {"n": 4}) == 4
    assert await estimate(gw, query, {"n": 50}) == 50
    error = await refusal(gw, fed, query, {"n": 200})
    assert error["extensions"] == {
        "code": "COST_ESTIMATED_TOO_EXPENSIVE",
        "cost": {"estimated": 200, "budget": BUDGET},
    }


async def test_slicing_argument_default_counts_when_not_given(gw: GatewayClient) -> None:
    # search(limit: Int = 5): five products, each an object.
    assert await estimate(gw, '{ search(text: "a") { name } }') == 5
    assert await estimate(gw, 'query ($l: Int) { search(text: "a", limit: $l) { name } }') == 5


async def test_argument_weight_counts_when_the_argument_is_given(gw: GatewayClient) -> None:
    assert await estimate(gw, '{ search(text: "a", fuzzy: true) { name } }') == 5 + 3
    assert await estimate(gw, '{ search(text: "a", limit: 1, fuzzy: true) { name } }') == 1 + 3


async def test_sized_fields_take_the_parent_list_size(gw: GatewayClient) -> None:
    # productPage is one object (1); its edges are as many as `first` (3), each an edge (1)
    # holding a product (1).
    query = "{ productPage(first: 3) { total edges { node { name } } } }"
    assert await estimate(gw, query) == 1 + 3 * (1 + 1)


async def test_cost_on_a_type_weighs_every_field_returning_it(gw: GatewayClient) -> None:
    # Money weighs 2, the enum Rating 1, each counted per product.
    assert await estimate(gw, "{ products(first: 2) { price { amount } } }") == 2 * (1 + 2)
    assert await estimate(gw, "{ products(first: 2) { rating } }") == 2 * (1 + 1)


async def test_nested_lists_multiply_across_subgraphs(gw: GatewayClient) -> None:
    # products: 3 x (product 1 + related: 4 x (product 1 + reviews: 2 (default) x review 1)).
    query = "{ products(first: 3) { related { reviews { body } } reviews { stars } } }"
    expected = 3 * (1 + 4 * (1 + 2 * 1) + 2 * 1)
    assert await estimate(gw, query) == expected


async def test_union_takes_its_costliest_member(gw: GatewayClient) -> None:
    # media: 2 (assumed) x (1 + max(Book: 20 chapters, Film: 0)).
    _, body = await gw.query(
        "{ media { ... on Book { chapters { title } } ... on Film { title } } }"
    )
    assert body["data"] == {"media": [{"chapters": [{"title": "One"}]}, {"title": "Alien"}]}
    assert body["extensions"]["cost"]["estimated"] == 2 * (1 + 20)


async def test_interface_takes_its_costliest_implementation(gw: GatewayClient) -> None:
    query = '{ node(id: "f1") { id ... on Book { chapters { title } } ... on Film { title } } }'
    assert await estimate(gw, query) == 1 + 20


async def test_mutation_starts_at_ten(gw: GatewayClient) -> None:
    assert await estimate(gw, 'mutation { addProduct(name: "fig") { name } }') == 10 + 1


async def test_include_decides_what_counts(gw: GatewayClient, fed: Federation) -> None:
    query = """
        query ($all: Boolean!) { products(first: 60) { name } report @include(if: $all) { lines } }
    """
    assert await estimate(gw, query, {"all": False}) == 60
    error = await refusal(gw, fed, query, {"all": True})
    assert error["extensions"]["cost"] == {"estimated": 60 + 50, "budget": BUDGET}


async def test_over_budget_is_refused_before_any_fetch(gw: GatewayClient, fed: Federation) -> None:
    query = "{ products(first: 10) { related { reviews(first: 5) { body } } } }"
    error = await refusal(gw, fed, query)
    estimated = 10 * (1 + 4 * (1 + 5 * 1))
    assert error == {
        "message": f"The operation's estimated cost, {estimated}, is over the budget of 100.",
        "extensions": {
            "code": "COST_ESTIMATED_TOO_EXPENSIVE",
            "cost": {"estimated": estimated, "budget": BUDGET},
        },
    }


async def test_the_budget_itself_is_allowed(gw: GatewayClient) -> None:
    query = "query ($n: Int) { products(first: $n) { name } }"
    status, body = await gw.query(query, {"n": BUDGET})
    assert status == 200
    assert body == {
        "data": {"products": [{"name": name} for name in _FRUIT]},
        "extensions": {"cost": {"estimated": BUDGET, "budget": BUDGET}},
    }


async def test_exactly_one_slicing_argument_is_required(gw: GatewayClient, fed: Federation) -> None:
    none_given = await refusal(gw, fed, "{ products { name } }")
    assert none_given["extensions"]["code"] == "COST_SLICING_ARGUMENT_REQUIRED"
    assert (
        "Query.products needs exactly one of its slicing arguments; 0 given"
        in (none_given["message"])
    )
    both_given = await refusal(gw, fed, "{ products(first: 1, last: 1) { name } }")
    assert both_given["extensions"]["code"] == "COST_SLICING_ARGUMENT_REQUIRED"
    assert "2 given" in both_given["message"]
    null_variable = await refusal(
        gw, fed, "query ($n: Int) { products(first: $n) { name } }", {"n": None}
    )
    assert null_variable["extensions"]["code"] == "COST_SLICING_ARGUMENT_REQUIRED"


async def test_a_negative_slicing_value_is_not_a_size(gw: GatewayClient, fed: Federation) -> None:
    # `first: -1` might mean "all" to a subgraph: it counts as not given, so it is refused
    # where one slicing argument is required, and takes the default where not.
    error = await refusal(gw, fed, "{ products(first: -1) { name } }")
    assert error["extensions"]["code"] == "COST_SLICING_ARGUMENT_REQUIRED"
    assert await estimate(gw, '{ search(text: "a", limit: -1) { name } }') == 10


_FRUIT = ["apple", "avocado", "banana", "cherry", "date"]
