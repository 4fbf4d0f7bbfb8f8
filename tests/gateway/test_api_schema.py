"""API schema: introspection shows the client-facing schema only (no join/link machinery, no
@inaccessible elements); invalid operations fail validation (fixtures/inaccessible)."""

import pytest

from tests.gateway.kit.asserts import assert_data
from tests.gateway.kit.federation import Federation, GatewayClient

TOPIC = "inaccessible"
# Off by default in production, the env these tests run in.
GATEWAY_SETTINGS = {"introspection": True}

STANDARD_DIRECTIVES = {"include", "skip", "deprecated", "specifiedBy", "oneOf", "defer", "stream"}


async def test_schema_has_no_federation_machinery(gw: GatewayClient) -> None:
    status, body = await gw.query(
        "{ __schema { queryType { name } mutationType { name } subscriptionType { name }"
        " types { name } directives { name } } }"
    )
    assert status == 200
    schema = body["data"]["__schema"]
    assert schema["queryType"] == {"name": "Query"}
    assert schema["mutationType"] is None
    assert schema["subscriptionType"] is None
    names = {t["name"] for t in schema["types"]}
    # unused built-in scalars (Int, Float) may or may not be listed
    user_types = {n for n in names if not n.startswith("__")} - {"Int", "Float"}
    assert user_types == {"Query", "Person", "Role", "PersonFilter", "ID", "String", "Boolean"}
    directives = {d["name"] for d in schema["directives"]}
    assert {"include", "skip", "deprecated"} <= directives <= STANDARD_DIRECTIVES


async def test_root_fields_exclude_federation_and_inaccessible(gw: GatewayClient) -> None:
    status, body = await gw.query('{ __type(name: "Query") { fields { name } } }')
    assert status == 200
    assert_data(body, {"__type": {"fields": [{"name": "people"}]}})


async def test_inaccessible_fields_arguments_values_hidden(gw: GatewayClient) -> None:
    status, body = await gw.query(
        """
        {
          person: __type(name: "Person") { fields { name args { name } } }
          role: __type(name: "Role") { enumValues(includeDeprecated: true) { name } }
          filter: __type(name: "PersonFilter") { inputFields { name } }
          stats: __type(name: "Stats") { name }
          graph: __type(name: "join__Graph") { name }
          entity: __type(name: "_Entity") { name }
        }
        """
    )
    assert status == 200
    assert_data(
        body,
        {
            "person": {
                "fields": [
                    {"name": "id", "args": []},
                    {"name": "name", "args": []},
                    {"name": "role", "args": []},
                    {"name": "nickname", "args": []},
                    {"name": "score", "args": []},
                ]
            },
            "role": {"enumValues": [{"name": "ADMIN"}, {"name": "MEMBER"}]},
            "filter": {"inputFields": [{"name": "role"}, {"name": "nameContains"}]},
            "stats": None,
            "graph": None,
            "entity": None,
        },
    )


async def test_introspection_mixed_with_data(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query(
        '{ people(filter: { role: MEMBER }) { name } __type(name: "Role") { kind } }'
    )
    assert status == 200
    assert_data(body, {"people": [{"name": "Bob"}], "__type": {"kind": "ENUM"}})
    assert len(fed.subgraphs["people"].requests) == 1


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ people { unknownField } }", None),
        ("{ people(filter: { role: 42 }) { name } }", None),
        ("{ people { name(arg: 1) } }", None),
        ("{ people }", None),
        ("{ people { ...Missing } }", None),
        ("query ($f: PersonFilter!) { people(filter: $f) { name } }", None),
        ("query ($f: PersonFilter) { people(filter: $f) { name } }", {"f": {"role": 7}}),
        ("query ($f: Nope) { people { name } }", None),
        ("query A { people { name } } query A { people { id } }", None),
        # no subscription root: @apollo/gateway answers 500 here (see fixtures/README.md)
        ("subscription { people { name } }", None),
    ],
)
async def test_invalid_operations_fail_validation(
    gw: GatewayClient, fed: Federation, query: str, variables: dict[str, object] | None
) -> None:
    status, body = await gw.query(query, variables=variables)
    assert status == 400
    assert "data" not in body
    assert body["errors"] and all(isinstance(e["message"], str) for e in body["errors"])
    assert all(s.requests == [] for s in fed.subgraphs.values())


async def test_syntax_error(gw: GatewayClient, fed: Federation) -> None:
    status, body = await gw.query("{ people { name }")
    assert status == 400
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 18}]
