"""Abstract types across subgraphs: an interface and a union whose members differ per
subgraph, fragments on abstract types, __typename everywhere (fixtures/abstract_types)."""

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "abstract_types"


async def test_union_members_with_entity_fields(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(
        "{ search { __typename ... on Book { title pages } ... on Movie { director } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "search": [
                {"__typename": "Book", "title": "Dune", "pages": 412},
                {"__typename": "Movie", "director": "Scott"},
            ]
        },
    )
    assert fed.subgraphs["b"].entity_requests() == [[{"__typename": "Book", "id": "b1"}]]


async def test_fragment_on_member_unknown_to_subgraph(gw: GatewayClient) -> None:
    # a does not know Song; b does not know Movie; such fragments simply match nothing
    status, body = await gw.query(
        "{ search { ... on Song { artist } ... on Book { id } }"
        " recommended { ... on Movie { director } ... on Book { title } } }"
    )
    assert status == 200
    assert_data(body, {"search": [{"id": "b1"}, {}], "recommended": [{}, {"title": "Ubik"}]})


async def test_interface_fragment_inside_union(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "{ recommended { __typename ... on Media { title } ... on Song { artist } } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "recommended": [
                {"__typename": "Song", "title": "Heroes", "artist": "Bowie"},
                {"__typename": "Book", "title": "Ubik"},
            ]
        },
    )


async def test_interface_field_with_entity_fragment(gw: GatewayClient) -> None:
    status, body = await gw.query("{ media { __typename title ... on Book { pages } } }")
    assert status == 200
    assert_data(
        body,
        {
            "media": [
                {"__typename": "Movie", "title": "Alien"},
                {"__typename": "Book", "title": "Dune", "pages": 412},
            ]
        },
    )


async def test_named_fragments_on_abstract_types(gw: GatewayClient) -> None:
    status, body = await gw.query(
        """
        query Q { search { ...R } media { ...M } }
        fragment R on SearchResult { __typename ... on Media { ...M } ... on Song { artist } }
        fragment M on Media { title ... on Movie { director } }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "search": [
                {"__typename": "Book", "title": "Dune"},
                {"__typename": "Movie", "title": "Alien", "director": "Scott"},
            ],
            "media": [{"title": "Alien", "director": "Scott"}, {"title": "Dune"}],
        },
    )


async def test_typename_everywhere(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "{ __typename t: __typename search { __typename } recommended { __typename } }"
    )
    assert status == 200
    assert_data(
        body,
        {
            "__typename": "Query",
            "t": "Query",
            "search": [{"__typename": "Book"}, {"__typename": "Movie"}],
            "recommended": [{"__typename": "Song"}, {"__typename": "Book"}],
        },
    )


async def test_interface_root_with_fragments_across_subgraphs(gw: GatewayClient) -> None:
    status, body = await gw.query(
        """
        {
          book: node(id: "b1") { __typename id ... on Book { pages } ... on Song { artist } }
          movie: node(id: "m1") { id ... on Media { title } ... on Book { pages } }
          none: node(id: "s1") { id }
        }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "book": {"__typename": "Book", "id": "b1", "pages": 412},
            "movie": {"id": "m1", "title": "Alien"},
            "none": None,
        },
    )
