"""Batching: one `_entities` request per subgraph per plan step, whatever the list length,
with deduplicated representations (fixtures/batching)."""

import pytest

from tests.gateway.fixtures.batching.data import expected_product
from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient

TOPIC = "batching"

QUERY = """
query ($n: Int!, $d: Int) { products(n: $n, distinct: $d) { name price stock warehouse { city } } }
"""


def _counts(fed: Federation) -> dict[str, int]:
    return {name: len(s.requests) for name, s in fed.subgraphs.items()}


@pytest.mark.parametrize("n", [1, 10, 1000])
async def test_request_count_does_not_grow_with_list_length(
    gw: GatewayClient, fed: Federation, n: int
) -> None:
    status, body = await gw.query(QUERY, variables={"n": n})
    assert status == 200
    assert_data(body, {"products": [expected_product(i) for i in range(n)]})
    # catalog: the root fetch and one Warehouse batch; pricing and stock: one batch each
    assert _counts(fed) == {"catalog": 2, "pricing": 1, "stock": 1}
    (pricing_reps,) = fed.subgraphs["pricing"].entity_requests()
    assert len(pricing_reps) == n


async def test_representations_are_deduplicated(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(QUERY, variables={"n": 12, "d": 2})
    assert status == 200
    assert_data(body, {"products": [expected_product(i % 2) for i in range(12)]})
    assert _counts(fed) == {"catalog": 2, "pricing": 1, "stock": 1}
    if not REFERENCE:  # @apollo/gateway sends every occurrence (12 per batch)
        assert fed.subgraphs["pricing"].entity_requests() == [
            [{"__typename": "Product", "id": "p0"}, {"__typename": "Product", "id": "p1"}]
        ]
        assert len(fed.subgraphs["stock"].entity_requests()[0]) == 2
        warehouse_batches = fed.subgraphs["catalog"].entity_requests()
        assert warehouse_batches == [
            [{"__typename": "Warehouse", "code": "w0"}, {"__typename": "Warehouse", "code": "w1"}]
        ]


async def test_second_step_batches_every_warehouse_once(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(QUERY, variables={"n": 30})
    assert status == 200
    assert_data(body, {"products": [expected_product(i) for i in range(30)]})
    (warehouse_reps,) = fed.subgraphs["catalog"].entity_requests()
    assert {r["code"] for r in warehouse_reps} == {"w0", "w1", "w2"}
    if not REFERENCE:
        assert len(warehouse_reps) == 3


async def test_parallel_branches_are_independent_requests(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query("{ products(n: 3) { price } other: products(n: 2) { stock } }")
    assert status == 200
    assert_data(
        body,
        {
            "products": [{"price": 0}, {"price": 10}, {"price": 20}],
            "other": [{"stock": 0}, {"stock": 1}],
        },
    )
    assert _counts(fed) == {"catalog": 1, "pricing": 1, "stock": 1}


async def test_nested_lists_batch_into_one_request(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ shelves(rows: 3, cols: 4) { name price } }")
    assert status == 200
    assert_data(
        body,
        {
            "shelves": [
                [{"name": f"Product {r * 4 + c}", "price": (r * 4 + c) * 10} for c in range(4)]
                for r in range(3)
            ]
        },
    )
    assert _counts(fed) == {"catalog": 1, "pricing": 1, "stock": 0}
    (reps,) = fed.subgraphs["pricing"].entity_requests()
    assert len(reps) == 12
