"""Federation 1 supergraph (join v0.1: @join__owner, `extend type` with @external keys,
@provides, @requires, a value type in two subgraphs), composed with @apollo/federation
(fixtures/federation1)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient, load_topic

TOPIC = "federation1"


def test_fixture_is_a_join_v0_1_supergraph() -> None:
    sdl = load_topic(TOPIC).supergraph
    assert '@core(feature: "https://specs.apollo.dev/join/v0.1", for: EXECUTION)' in sdl
    assert "@join__owner(graph: USERS)" in sdl


async def test_extended_entity_across_subgraphs(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ me { name address { city } reviews { body stars } } }")
    assert status == 200
    assert_data(
        body,
        {
            "me": {
                "name": "Ada",
                "address": {"city": "Turku"},
                "reviews": [{"body": "Lovely sauna", "stars": 5}],
            }
        },
    )


async def test_fed1_provides_skips_owner(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ topReviews { author { name } } }")
    assert status == 200
    assert_data(
        body,
        {
            "topReviews": [
                {"author": {"name": "Ada (via reviews)"}},
                {"author": {"name": "Bob (via reviews)"}},
            ]
        },
    )
    assert fed.subgraphs["users"].requests == []


async def test_fed1_requires_on_extension(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ topReviews { id excerpt stars } }")
    assert status == 200
    assert_data(
        body,
        {
            "topReviews": [
                {"id": "r1", "excerpt": "Lovely…", "stars": 5},
                {"id": "r2", "excerpt": "Cold l…", "stars": 2},
            ]
        },
    )
    (reps,) = fed.subgraphs["ratings"].entity_requests()
    assert reps == [
        {"__typename": "Review", "id": "r1", "body": "Lovely sauna"},
        {"__typename": "Review", "id": "r2", "body": "Cold lake"},
    ]


async def test_fed1_value_type_from_either_subgraph(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(
        "{ topReviews { place { country city } } me { address { country } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "topReviews": [{"place": {"country": "FI", "city": "Oulu"}}, {"place": None}],
            "me": {"address": {"country": "FI"}},
        },
    )
    assert len(fed.subgraphs["reviews"].requests) == 1
    assert len(fed.subgraphs["users"].requests) == 1


async def test_fed1_owner_fields_through_extension(gw: GatewayClient) -> None:
    status, body = await gw.query("{ topReviews { author { address { city } } } }")
    assert status == 200
    assert_data(
        body,
        {"topReviews": [{"author": {"address": {"city": "Turku"}}}, {"author": {"address": None}}]},
    )
