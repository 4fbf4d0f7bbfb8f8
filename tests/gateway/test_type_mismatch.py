"""Fields one subgraph types differently per member type (Person.id: ID!, Robot.id: ID) are
asked under distinct keys and renamed back, so the subgraph accepts the request
(fixtures/type_mismatch)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "type_mismatch"


async def test_same_key_with_different_types_in_sibling_fragments(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query(
        "{ members { ... on Person { id name email } ... on Robot { id name } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "members": [
                {"id": "p1", "name": "Ada", "email": "ada@example.org"},
                {"id": None, "name": "R2"},
            ]
        },
    )
    (request,) = fed.subgraphs["staff"].root_requests()
    assert "id__alias_1:id" in request["query"]


async def test_no_renaming_when_types_agree(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ members { ... on Person { name } ... on Robot { name } } }")
    assert status == 200
    assert_data(body, {"members": [{"name": "Ada"}, {"name": "R2"}]})
    (request,) = fed.subgraphs["staff"].root_requests()
    assert "__alias_" not in request["query"]
