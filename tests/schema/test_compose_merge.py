"""Merge rules by federation topic, asserting the join directives of the printed supergraph."""

from __future__ import annotations

import re

from compose_testing import compose_ok, fixture_set, subgraph

from schema.compose import compose


def _line(sdl: str, start: str) -> str:
    return next(line.strip() for line in sdl.splitlines() if line.strip().startswith(start))


def test_entity_keys_compound_nested_and_unresolvable() -> None:
    sdl = compose_ok(fixture_set("commerce"))
    assert '@join__type(graph: PRODUCTS, key: "sku variation { id }")' in sdl
    assert '@join__type(graph: REVIEWS, key: "id", resolvable: false)' in sdl
    assert _line(sdl, "upc:") == "upc: ID!"  # in every subgraph defining Product: no join__field


def test_requires_provides_external() -> None:
    sdl = compose_ok(fixture_set("commerce"))
    assert _line(sdl, "reviewScore") == (
        'reviewScore: Float @join__field(graph: REVIEWS, requires: "weight")'
    )
    assert (
        _line(sdl, "author:") == 'author: User @join__field(graph: REVIEWS, provides: "username")'
    )
    assert "@join__field(graph: REVIEWS, external: true)" in _line(sdl, "weight:")


def test_override_with_and_without_label() -> None:
    sdl = compose_ok(fixture_set("commerce"))
    assert _line(sdl, "shippingEstimate") == (
        'shippingEstimate: Int @join__field(graph: INVENTORY, requires: "weight",'
        ' override: "products", overrideLabel: "percent(25)")'
        ' @join__field(graph: PRODUCTS, overrideLabel: "percent(25)")'
    )
    moved = [
        subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int }'),
        subgraph("b", 'type T @key(fields: "id") { id: ID! x: Int @override(from: "a") }'),
    ]
    assert _line(compose_ok(moved), "x:") == 'x: Int @join__field(graph: B, override: "a")'


def test_interface_object_fields_reach_every_implementation() -> None:
    sdl = compose_ok(fixture_set("commerce"))
    assert '@join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)' in sdl
    shoe = sdl[sdl.index("type Shoe") :]
    assert "reviewCount: Int! @join__field\n" in shoe


def test_shareable_output_field_takes_the_most_general_type() -> None:
    sdl = compose_ok(
        [
            subgraph("a", "type Query { v: V @shareable } type V @shareable { x: String! }"),
            subgraph("b", "type Query { v: V @shareable } type V @shareable { x: String }"),
        ]
    )
    assert _line(sdl, "x:") == (
        'x: String @join__field(graph: A, type: "String!") @join__field(graph: B, type: "String")'
    )


def test_inputs_intersect_and_take_the_strictest_type() -> None:
    sdl = compose_ok(fixture_set("civic"))
    assert "note: String" not in sdl  # MoveInput.note is in one subgraph only
    assert _line(sdl, "street: String! @join__field(graph: REGISTRY") == (
        'street: String! @join__field(graph: REGISTRY, type: "String")'
        ' @join__field(graph: TAX, type: "String!")'
    )


def test_enums_union_on_output_intersect_on_input() -> None:
    sdl = compose_ok(fixture_set("civic"))
    gender = sdl[sdl.index("enum Gender") :]
    assert "UNSPECIFIED @join__enumValue(graph: REGISTRY)" in gender
    assert "OTHER @join__enumValue(graph: TAX)" in gender
    move_reason = sdl[sdl.index("enum MoveReason") :].split("}")[0]
    assert "STUDY" not in move_reason and "WORK" in move_reason


def test_unions_and_implementations_per_graph() -> None:
    sdl = compose_ok(fixture_set("media"))
    assert "= Book | Author | Article" in sdl
    assert '@join__unionMember(graph: PEOPLE, member: "Article")' in sdl
    assert '@join__implements(graph: CATALOGUE, interface: "Media")' in sdl


def test_root_types_are_renamed_and_federation_plumbing_dropped() -> None:
    sdl = compose_ok(fixture_set("civic"))
    assert "RootQuery" not in sdl and "_entities" not in sdl and "_Service" not in sdl
    assert "  query: Query\n  mutation: Mutation\n" in sdl


def test_security_directives_merge_as_a_conjunction() -> None:
    sdl = compose_ok(
        [
            subgraph(
                "a", 'type Query { x: Int @shareable @requiresScopes(scopes: [["a"], ["b"]]) }'
            ),
            subgraph("b", 'type Query { x: Int @shareable @requiresScopes(scopes: [["c"]]) }'),
        ]
    )
    assert '@requiresScopes(scopes: [["a", "c"], ["b", "c"]])' in sdl
    assert '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)' in sdl


def test_differing_requirements_are_sorted_and_multiplied_as_apollo_prints_them() -> None:
    sdl = compose_ok(
        [
            subgraph(
                "a",
                'type Query { t: T } type T @key(fields: "id")'
                ' @requiresScopes(scopes: [["z"], ["m"]]) { id: ID! }',
            ),
            subgraph(
                "b",
                'type T @key(fields: "id")'
                ' @requiresScopes(scopes: [["b"], ["a", "c"]]) { id: ID! }',
            ),
        ]
    )
    # Shortest ANDs first, each sorted; ORs in the order of the sorted factors' product.
    assert (
        '@requiresScopes(scopes: [["b", "m"], ["b", "z"], ["a", "c", "m"], ["a", "c", "z"]])'
        in (_type(sdl, "type T"))
    )


def _type(sdl: str, start: str) -> str:
    """The printed definition of a type, `start` being e.g. "type A" or "interface I"."""
    found = re.search(rf"^{start}\b.*?^}}$", sdl, re.MULTILINE | re.DOTALL)
    assert found is not None, start
    return found.group(0)


def test_access_control_goes_up_from_implementations_to_their_interfaces() -> None:
    sdl = compose_ok(
        [
            subgraph(
                "a",
                """
                type Query { i: [I] }
                interface I { id: ID! f: Int g: Int }
                type A implements I @key(fields: "id") @requiresScopes(scopes: [["z"], ["a"]]) {
                  id: ID! f: Int @policy(policies: [["p"]]) g: Int
                }
                type B implements I @key(fields: "id") @authenticated {
                  id: ID! f: Int @policy(policies: [["q", "p"]]) g: Int
                }
                """,
            ),
            # B implements I only in subgraph a: its requirements here still reach I.
            subgraph(
                "b", 'type B @key(fields: "id") @requiresScopes(scopes: [["c"], ["b"]]) { id: ID! }'
            ),
        ]
    )
    interface = _type(sdl, "interface I")
    assert "@authenticated" in interface
    assert '@requiresScopes(scopes: [["a", "b"], ["a", "c"], ["b", "z"], ["c", "z"]])' in interface
    assert _line(interface, "f:") == 'f: Int @policy(policies: [["p", "q"]])'
    # A type's own requirement guards the type, not the interface's fields.
    assert _line(interface, "g:") == "g: Int"


def test_interface_object_field_requirements_come_down_to_implementations() -> None:
    sdl = compose_ok(
        [
            subgraph(
                "a",
                """
                type Query { i: [I] }
                interface I @key(fields: "id") { id: ID! }
                interface J { id: ID! more: Int }
                type A implements I & J @key(fields: "id") {
                  id: ID! more: Int @shareable @requiresScopes(scopes: [["a"]])
                }
                type B implements I @key(fields: "id") { id: ID! more: Int @shareable }
                type C implements I @key(fields: "id") { id: ID! }
                """,
            ),
            subgraph(
                "b",
                """
                type Query { x: Int }
                type I @key(fields: "id") @interfaceObject {
                  id: ID! more: Int @shareable @requiresScopes(scopes: [["io"]])
                  paid: Int @authenticated
                }
                """,
            ),
        ]
    )
    more = {name: _line(_type(sdl, name), "more:") for name in ("type A", "type B", "type C")}
    assert more["type A"] == 'more: Int @requiresScopes(scopes: [["a", "io"]])'
    assert more["type B"] == 'more: Int @requiresScopes(scopes: [["io"]])'
    # C has the field only through the @interfaceObject: A's requirement does not come along.
    assert more["type C"] == 'more: Int @join__field @requiresScopes(scopes: [["io"]])'
    # Up from A (and from the @interfaceObject through A) to both interfaces.
    assert '@requiresScopes(scopes: [["a", "io"]])' in _line(_type(sdl, "interface I"), "more:")
    assert _line(_type(sdl, "interface J"), "more:") == (
        'more: Int @requiresScopes(scopes: [["a", "io"]])'
    )
    assert _line(_type(sdl, "type C"), "paid:") == "paid: Int @join__field @authenticated"


def test_join_version_follows_the_highest_federation_version() -> None:
    assert "join/v0.3" in compose_ok(fixture_set("media"))  # federation 2.3
    assert "join/v0.4" in compose_ok(fixture_set("commerce"))  # federation 2.7
    assert "join/v0.5" in compose_ok(fixture_set("civic"))  # federation 2.9


def test_composition_is_independent_of_subgraph_order() -> None:
    subgraphs = fixture_set("commerce")
    assert compose(subgraphs) == compose(list(reversed(subgraphs)))
