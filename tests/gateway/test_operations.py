"""Operations: mutations in order across subgraphs, variables and defaults, aliases,
fragments, @skip/@include, __typename at the root, operationName (fixtures/operations)."""

from collections.abc import Iterator

import pytest

from tests.gateway.fixtures.operations import data
from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "operations"


@pytest.fixture(autouse=True)
def _fresh_store() -> Iterator[None]:
    data.reset()
    yield
    data.reset()


async def test_mutations_run_in_document_order(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(
        """
        mutation {
          first: addItem(name: "cherry") { id name stars }
          rated: rate(id: "1", stars: 2) { id name stars }
          second: addItem(name: "date") { id }
        }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "first": {"id": "4", "name": "cherry", "stars": None},
            "rated": {"id": "1", "name": "apple", "stars": 2},
            "second": {"id": "5"},
        },
    )
    assert data.LOG == ["addItem(cherry)", "rate(1,2)", "addItem(date)"]
    mutations = [r["query"] for s in fed.subgraphs.values() for r in s.root_requests()]
    assert len(mutations) == 3
    assert all(q.lstrip().startswith("mutation") for q in mutations)


async def test_mutation_variables(gw: GatewayClient) -> None:
    status, body = await gw.query(
        'mutation Add($name: String!) { addItem(name: $name) { name price(currency: "USD") } }',
        variables={"name": "fig"},
    )
    assert status == 200
    assert_data(body, {"addItem": {"name": "fig", "price": 20.0}})
    assert data.LOG == ["addItem(fig)"]


async def test_argument_default_when_variable_missing(gw: GatewayClient) -> None:
    status, body = await gw.query("query ($n: Int) { items(first: $n) { name } }")
    assert status == 200
    assert_data(body, {"items": [{"name": "apple"}, {"name": "avocado"}]})


async def test_explicit_null_variable_is_passed(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "query ($n: Int) { items(first: $n) { name } }", variables={"n": None}
    )
    assert status == 200
    assert_data(body, {"items": [{"name": "apple"}, {"name": "avocado"}, {"name": "banana"}]})


async def test_variable_default_value(gw: GatewayClient) -> None:
    status, body = await gw.query(
        'query ($n: Int = 1, $p: String = "b") { items(first: $n, prefix: $p) { name } }'
    )
    assert status == 200
    assert_data(body, {"items": [{"name": "banana"}]})


async def test_aliases_same_field_different_arguments(gw: GatewayClient) -> None:
    status, body = await gw.query(
        """
        {
          eur: item(id: "1") { price }
          usd: item(id: "1") { price(currency: "USD") }
          both: item(id: "2") { u: price(currency: "USD") e: price n: name s: stars }
          a: items(prefix: "a") { name }
          b: items(prefix: "b") { title: name }
        }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "eur": {"price": 2.0},
            "usd": {"price": 4.0},
            "both": {"u": 6.0, "e": 3.0, "n": "avocado", "s": None},
            "a": [{"name": "apple"}, {"name": "avocado"}],
            "b": [{"title": "banana"}],
        },
    )


async def test_fragments_named_inline_and_nested(gw: GatewayClient) -> None:
    status, body = await gw.query(
        """
        query { items(first: 3) { ...Basic ... on Item { stars ...Price } } }
        fragment Basic on Item { id ... { name } }
        fragment Price on Item { price }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "items": [
                {"id": "1", "name": "apple", "stars": 4, "price": 2.0},
                {"id": "2", "name": "avocado", "stars": None, "price": 3.0},
                {"id": "3", "name": "banana", "stars": 5, "price": 1.0},
            ]
        },
    )


async def test_skip_include_with_literals(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(
        '{ item(id: "3") { name @include(if: true) price @skip(if: true)'
        " stars @include(if: false) ... @skip(if: false) { id } } }"
    )
    assert status == 200
    assert_data(body, {"item": {"name": "banana", "id": "3"}})
    assert fed.subgraphs["ratings"].requests == []


@pytest.mark.parametrize(
    ("yes", "expected", "ratings_calls"),
    [
        (True, {"item": {"name": "banana", "stars": 5}}, 1),
        (False, {"item": {"price": 1.0, "id": "3"}}, 0),
    ],
)
async def test_skip_include_with_variables(
    gw: GatewayClient, fed: Federation, yes: bool, expected: object, ratings_calls: int
) -> None:
    status, body = await gw.query(
        """
        query ($yes: Boolean!, $no: Boolean = false) {
          item(id: "3") {
            name @include(if: $yes)
            price @skip(if: $yes)
            stars @include(if: $yes) @skip(if: $no)
            ...F @skip(if: $yes)
          }
        }
        fragment F on Item { id }
        """,
        variables={"yes": yes},
    )
    assert status == 200
    assert_data(body, expected)
    assert len(fed.subgraphs["ratings"].requests) == ratings_calls


async def test_a_field_whose_every_subfield_is_skipped_is_an_empty_object(
    gw: GatewayClient, fed: Federation
) -> None:
    # Found by test_fuzz.py: such a field was left out of the fetch, so a non-null list of
    # items came back null and nulled the whole response.
    status, body = await gw.query(
        """
        query ($no: Boolean!) {
          items { name @include(if: $no) stars @include(if: $no) }
          item(id: "3") { ... @skip(if: true) { id } }
        }
        """,
        variables={"no": False},
    )
    assert status == 200
    assert body == {"data": {"items": [{}, {}], "item": {}}}
    assert fed.subgraphs["ratings"].requests == []


async def test_typename_alone_at_root(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ __typename alias: __typename }")
    assert status == 200
    assert_data(body, {"__typename": "Query", "alias": "Query"})
    assert all(s.requests == [] for s in fed.subgraphs.values())


async def test_typename_at_mutation_root(gw: GatewayClient) -> None:
    status, body = await gw.query('mutation { __typename addItem(name: "kiwi") { __typename } }')
    assert status == 200
    assert_data(body, {"__typename": "Mutation", "addItem": {"__typename": "Item"}})


async def test_operation_name_selects_operation(gw: GatewayClient) -> None:
    doc = 'query A { item(id: "1") { name } } query B { item(id: "2") { name } }'
    status, body = await gw.query(doc, operation_name="B")
    assert status == 200
    assert_data(body, {"item": {"name": "avocado"}})
