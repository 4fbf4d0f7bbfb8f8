"""Interface object: billing extends interface Account through @interfaceObject; the gateway
sends it representations typed "Account" and asks the interface's owner for concrete types
(fixtures/interface_object)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "interface_object"


async def test_interface_object_field_on_interface(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ accounts { id name balance } }")
    assert status == 200
    assert_data(
        body,
        {
            "accounts": [
                {"id": "a1", "name": "Ada", "balance": 10},
                {"id": "a2", "name": "Acme", "balance": 5000},
                {"id": "a3", "name": "Bob", "balance": -3},
            ]
        },
    )
    (reps,) = fed.subgraphs["billing"].entity_requests()
    assert {r["__typename"] for r in reps} == {"Account"}
    assert sorted(r["id"] for r in reps) == ["a1", "a2", "a3"]


async def test_interface_object_field_inside_fragments(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "{ accounts { __typename ... on User { email } ... on Org { seats balance } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "accounts": [
                {"__typename": "User", "email": "ada@example.org"},
                {"__typename": "Org", "seats": 12, "balance": 5000},
                {"__typename": "User", "email": "bob@example.org"},
            ]
        },
    )


async def test_concrete_type_from_interface_object_root(gw: GatewayClient, fed: Federation) -> None:
    # billing only knows "Account": the owner of the interface must tell the concrete type
    status, body = await gw.query(
        "{ richest { id balance name __typename ... on Org { seats } ... on User { email } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "richest": {
                "id": "a2",
                "balance": 5000,
                "name": "Acme",
                "__typename": "Org",
                "seats": 12,
            }
        },
    )
    assert len(fed.subgraphs["accounts"].entity_requests()) >= 1


async def test_typename_only_from_interface_object_root(gw: GatewayClient) -> None:
    status, body = await gw.query("{ richest { __typename } }")
    assert status == 200
    assert_data(body, {"richest": {"__typename": "Org"}})


async def test_requires_on_interface_object(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ accounts { ... on Org { statement } } richest { statement } }")
    assert status == 200
    assert_data(
        body,
        {
            "accounts": [{}, {"statement": "Acme: 5000"}, {}],
            "richest": {"statement": "Acme: 5000"},
        },
    )
