"""The depth limit: an operation nesting fields deeper than GATEWAY_MAX_DEPTH is refused
before planning; the standard introspection query fits (fixtures/operations)."""

from graphql import get_introspection_query

from tests.gateway.kit.federation import REFERENCE, GatewayClient

TOPIC = "operations"
# Off by default in production; deep introspection queries are the examples here.
GATEWAY_SETTINGS = {"introspection": True}


def _nested(levels: int) -> str:
    return "{ __schema { types { " + "ofType { " * levels + "name" + " }" * levels + " } } }"


async def test_an_operation_deeper_than_the_limit_is_refused(gw: GatewayClient) -> None:
    status, body = await gw.query(_nested(40))
    if REFERENCE:  # @apollo/gateway has no depth limit
        return
    assert status == 400
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_DEPTH_EXCEEDED"
    assert "43 fields deep" in error["message"]  # __schema, types, 40 x ofType, name


async def test_just_under_the_limit_is_answered(gw: GatewayClient) -> None:
    status, body = await gw.query(_nested(29))  # 32 fields: the default limit
    assert status == 200 and "errors" not in body


async def test_introspection_fits_under_the_default_depth(gw: GatewayClient) -> None:
    status, body = await gw.query(get_introspection_query())
    assert status == 200 and "errors" not in body
