"""@requires with fragments on an interface and on an implementation: each representation
carries the fields that apply to its object's runtime type (fixtures/requires_fragments)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "requires_fragments"


async def test_required_fragments_follow_the_runtime_type(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query("{ items { id blurb } }")
    assert status == 200
    assert_data(
        body,
        {
            "items": [
                {"id": "1", "blurb": "Book: Dune, 412 pages"},
                {"id": "2", "blurb": "Film: Alien"},
                {"id": "3", "blurb": "nothing yet"},
            ]
        },
    )
    (representations,) = fed.subgraphs["summary"].entity_requests()
    assert representations == [
        {
            "__typename": "Item",
            "id": "1",
            "media": {"__typename": "Book", "title": "Dune", "pages": 412},
        },
        {"__typename": "Item", "id": "2", "media": {"__typename": "Film", "title": "Alien"}},
        {"__typename": "Item", "id": "3", "media": None},
    ]
