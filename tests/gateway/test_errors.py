"""Errors: subgraph errors mapped onto client paths with their extensions, null propagation
per the GraphQL spec, and a response holding only what was selected in the client's order
(fixtures/errors)."""

from typing import Any

from tests.gateway.kit.asserts import assert_data, assert_same_order
from tests.gateway.kit.federation import Federation, GatewayClient
from tests.gateway.kit.subgraph import Fault

TOPIC = "errors"
# The subgraphs' own messages and extensions are what these tests follow; production masks
# them (tests/gateway/test_exposure.py).
GATEWAY_SETTINGS = {"mask_subgraph_errors": False}


def _one_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body["errors"]
    return body["errors"][0]


async def test_entity_field_error_mapped_to_client_path(gw: GatewayClient) -> None:
    status, body = await gw.query("{ list: items { name detail } }")
    assert status == 200
    assert_same_order(
        body["data"],
        {
            "list": [
                {"name": "one", "detail": "detail-1"},
                {"name": "two", "detail": None},
                {"name": "three", "detail": "detail-3"},
            ]
        },
    )
    error = _one_error(body)
    assert error["message"] == "detail unavailable"
    assert error["path"] == ["list", 1, "detail"]
    assert error["extensions"]["code"] == "DETAIL_DOWN"
    assert error["extensions"]["retryIn"] == 3
    assert error["extensions"]["serviceName"] == "b"


async def test_non_null_entity_field_nulls_the_list_item(gw: GatewayClient) -> None:
    status, body = await gw.query("{ items { name mandatory } }")
    assert status == 200
    assert_same_order(
        body["data"],
        {
            "items": [
                {"name": "one", "mandatory": "m-1"},
                None,
                {"name": "three", "mandatory": "m-3"},
            ]
        },
    )
    error = _one_error(body)
    assert error["path"] == ["items", 1, "mandatory"]
    assert error["extensions"]["code"] == "MANDATORY"


async def test_non_null_list_items_null_the_list(gw: GatewayClient) -> None:
    status, body = await gw.query(
        '{ strictItems(ids: ["1", "2"]) { mandatory } ok: strictItems(ids: ["3"]) { mandatory } }'
    )
    assert status == 200
    assert_same_order(body["data"], {"strictItems": None, "ok": [{"mandatory": "m-3"}]})
    assert _one_error(body)["path"] == ["strictItems", 1, "mandatory"]


async def test_root_field_error_keeps_siblings(gw: GatewayClient) -> None:
    status, body = await gw.query('{ fails strictItems(ids: ["1"]) { name } }')
    assert status == 200
    assert_same_order(body["data"], {"fails": None, "strictItems": [{"name": "one"}]})
    error = _one_error(body)
    assert error["message"] == "root failed"
    assert error["path"] == ["fails"]
    assert error["extensions"]["code"] == "BOOM"
    assert error["extensions"]["detail"] == {"why": "test"}
    assert error["extensions"]["serviceName"] == "a"


async def test_non_null_root_field_error_nulls_data(gw: GatewayClient) -> None:
    status, body = await gw.query("{ fails failsStrict }")
    assert status == 200
    assert body["data"] is None
    assert sorted(e["path"][0] for e in body["errors"]) == ["fails", "failsStrict"]


async def test_non_null_nested_field_nulls_parent(gw: GatewayClient) -> None:
    status, body = await gw.query("{ wrapper { other inner } }")
    assert status == 200
    assert_same_order(body["data"], {"wrapper": None})
    error = _one_error(body)
    assert error["path"] == ["wrapper", "inner"]
    assert error["extensions"]["code"] == "INNER"


async def test_only_selected_fields_in_client_order(gw: GatewayClient) -> None:
    # the gateway fetches id (the key) and __typename for its own use; neither may leak
    status, body = await gw.query(
        '{ strictItems(ids: ["3", "1"]) { mandatory alias: name detail } }'
    )
    assert status == 200
    assert_data(
        body,
        {
            "strictItems": [
                {"mandatory": "m-1", "alias": "one", "detail": "detail-1"},
                {"mandatory": "m-3", "alias": "three", "detail": "detail-3"},
            ]
        },
    )


async def test_duplicate_fields_merge_in_first_occurrence_order(gw: GatewayClient) -> None:
    status, body = await gw.query(
        '{ strictItems(ids: ["1"]) { detail name ... on Item { detail mandatory name } } }'
    )
    assert status == 200
    assert_data(body, {"strictItems": [{"detail": "detail-1", "name": "one", "mandatory": "m-1"}]})


async def test_entity_answered_null_nulls_non_null_field_parent(
    gw: GatewayClient, fed: Federation
) -> None:
    # b answers the first entity with null and no error: its non-null field cannot be
    # completed, so the item (a nullable list member) becomes null with an error.
    # @apollo/gateway nulls the item without any error (see fixtures/README.md).
    fed.subgraphs["b"].fault = Fault.entity_null(0)
    status, body = await gw.query("{ items { name mandatory } }")
    assert status == 200
    assert_same_order(
        body["data"],
        {"items": [None, None, {"name": "three", "mandatory": "m-3"}]},
    )
    assert sorted(e["path"][1] for e in body["errors"]) == [0, 1]
