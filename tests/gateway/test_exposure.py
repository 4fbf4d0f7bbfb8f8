"""Production gives nothing away (the default env): introspection refused before anything runs
(`__typename` still answered), no GraphiQL page, no "Did you mean" naming fields, subgraph
errors reduced to the subgraph's name, code and the trace id (the detail in the log), no
subgraph host or port in any message, and no caller's value echoed back at length
(fixtures/intersections). tests/gateway/test_exposure_development.py: development."""

import base64
import json
import logging
import re
from urllib.parse import urlsplit

import pytest

from gateway.exposure import Exposure
from gateway.settings import GatewaySettings
from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer
from tests.gateway.kit.subgraph import Fault

TOPIC = "intersections"
# Long enough for a 900 KB value inside the query to reach the parser and validation, whose
# messages quote it (the length limit would refuse it first, naming only its length).
GATEWAY_SETTINGS = {"max_query_length": 1_000_000}

if REFERENCE:  # production settings of this gateway only
    pytest.skip("gateway settings are ours", allow_module_level=True)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
BIG = "y" * 900_000
FILTERED = "query ($f: Filter) { itemsA(filter: $f) { name } }"


def _no_subgraph_request(fed: Federation) -> None:
    assert all(not s.requests for s in fed.subgraphs.values())


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { types { name } } }",
        '{ itemsA { name } __type(name: "Item") { name } }',
        '{ ...Root } fragment Root on Query { ... on Query { t: __type(name: "Item") { name } } }',
        "query Other { itemsA { name } } query Peek { __schema { queryType { name } } }",
    ],
)
async def test_introspection_is_refused_before_anything_runs(
    gw: GatewayClient, fed: Federation, query: str
) -> None:
    status, body = await gw.query(query, operation_name="Peek" if "Peek" in query else None)
    assert status == 400
    assert body == {
        "errors": [
            {
                "message": "Introspection is disabled on this gateway.",
                "extensions": {"code": "INTROSPECTION_DISABLED"},
            }
        ]
    }
    _no_subgraph_request(fed)


async def test_another_operation_of_a_document_holding_introspection_runs(
    gw: GatewayClient,
) -> None:
    query = "query Other { itemsA { name } } query Peek { __schema { queryType { name } } }"
    status, body = await gw.query(query, operation_name="Other")
    assert status == 200
    assert body == {"data": {"itemsA": [{"name": "a-S"}, {"name": "a-M"}]}}


async def test_typename_is_always_answered(gw: GatewayClient) -> None:
    status, body = await gw.query("{ __typename itemsB { __typename name } }")
    assert status == 200
    assert body["data"]["__typename"] == "Query"
    assert body["data"]["itemsB"][0] == {"__typename": "Item", "name": "b-L"}


async def test_there_is_no_graphiql_page(gw: GatewayClient) -> None:
    page = await gw.request("GET", headers={"accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("application/json")
    assert page.json()["errors"][0]["message"] == "The request has no query."
    asset = await gw.request("GET", "/graphiql/assets/graphiql.min.js")
    assert asset.status_code == 404


async def test_a_misspelt_field_gets_no_suggestion(gw: GatewayClient) -> None:
    status, body = await gw.query("{ itemsA { nam } itemz { name } }")
    assert status == 400
    messages = [e["message"] for e in body["errors"]]
    assert messages == [
        "Cannot query field 'nam' on type 'Item'.",
        "Cannot query field 'itemz' on type 'Query'.",
    ]


async def test_a_misspelt_enum_value_in_a_variable_gets_no_suggestion(gw: GatewayClient) -> None:
    status, body = await gw.query(FILTERED, variables={"f": {"color": "REDD"}})
    assert status == 400
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "REDD" in error["message"] and "Did you mean" not in error["message"]


async def test_a_subgraph_error_shows_only_its_code_and_the_trace_id_and_the_log_has_the_rest(
    gw: GatewayClient, fed: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway")
    fed.subgraphs["a"].fault = Fault.error_at(
        ["itemsA"], "pool exhausted at db-7.internal:5432", code="DB_DOWN", stack=["db.py:12"]
    )
    status, body = await gw.query(
        "{ itemsA { name } itemsB { name } }", headers={"traceparent": TRACEPARENT}
    )
    assert status == 200
    assert body == {
        "errors": [
            {
                "message": "Subgraph 'a' failed.",
                "path": ["itemsA"],
                "extensions": {"code": "DB_DOWN", "serviceName": "a", "traceId": TRACE_ID},
            }
        ],
        "data": None,  # itemsA is non-null
    }
    logged = [r.getMessage() for r in caplog.records if r.name == "gateway.exposure"]
    assert len(logged) == 1
    assert TRACE_ID in logged[0]
    assert "pool exhausted at db-7.internal:5432" in logged[0] and "db.py:12" in logged[0]


async def test_without_a_trace_the_client_still_gets_an_id_to_quote(
    gw: GatewayClient, fed: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway")
    fed.subgraphs["b"].fault = Fault.http(500, b"Traceback (most recent call last): ...")
    status, body = await gw.query("{ itemsB { name } }")
    assert status == 200
    (error,) = body["errors"]
    assert error["message"] == "Subgraph 'b' failed."
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    trace_id = error["extensions"]["traceId"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    assert any(trace_id in r.getMessage() and "HTTP 500" in r.getMessage() for r in caplog.records)


async def test_an_unreachable_subgraphs_address_is_only_in_the_log(
    gw: GatewayClient, fed: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway")
    port = urlsplit(fed.subgraphs["a"].url).port
    fed.subgraphs["a"].stop()
    response = await gw.request("POST", json={"query": "{ itemsA { name } }"})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == "Subgraph 'a' failed."
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert f":{port}" not in response.text and "127.0.0.1" not in response.text
    assert any(f"127.0.0.1:{port}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("query", "variables", "operation_name", "code"),
    [
        # graphql-core quotes an input object's unknown field name whole
        (FILTERED, {"f": {BIG: 1}}, None, "BAD_USER_INPUT"),
        # and a literal of the wrong type, and the operation name asked for
        ('{ itemsA(filter: { minLength: "' + BIG + '" }) { name } }', None, None, None),
        ("{ itemsA { name } }", None, BIG, None),
        ('{ itemsA { name } "' + BIG + '" }', None, None, "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_a_900_kb_value_sent_is_not_echoed_back(
    gw: GatewayClient,
    fed: Federation,
    query: str,
    variables: dict[str, object] | None,
    operation_name: str | None,
    code: str | None,
) -> None:
    response = await gw.request(
        "POST",
        json={"query": query, "variables": variables, "operationName": operation_name},
    )
    assert response.status_code == 400
    assert len(response.content) < 2000
    (error,) = response.json()["errors"]
    assert len(error["message"]) == 1000
    assert " ... (truncated) ... " in error["message"]
    if code is not None:
        assert error["extensions"]["code"] == code
    _no_subgraph_request(fed)


async def test_a_long_content_type_is_not_echoed_back(gw: GatewayClient) -> None:
    content_type = "application/" + "x" * 5000
    response = await gw.request("POST", content=b"{}", headers={"content-type": content_type})
    assert response.status_code == 415
    assert len(response.json()["errors"][0]["message"]) == 1000


def _part(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("kid", ["ключ", "ключ" * 400])
async def test_a_token_naming_an_unknown_key_is_quoted_briefly_and_in_ascii_in_the_challenge(
    issuer: TestIssuer, kid: str
) -> None:
    settings = {"issuer": issuer.url, "audience": AUDIENCE, "revocation_required": False}
    token = f"{_part({'alg': 'RS256', 'typ': 'at+jwt', 'kid': kid})}.{_part({'sub': 'x'})}.c2ln"
    with start_federation(load_topic(TOPIC), settings) as fed:
        response = await fed.gateway.request(
            "POST", json={"query": "{ __typename }"}, headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "ключ" in error["message"] and len(error["message"]) <= 1000
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"') and challenge.isascii()


def test_a_long_message_keeps_its_start_and_its_end() -> None:
    exposure = Exposure.from_settings(GatewaySettings(max_error_message_length=100))
    message = "Variable '$f' got invalid value '" + "x" * 500 + "'; Expected type 'Int'."
    cut = exposure.truncate(message)
    assert len(cut) == 100
    assert cut.startswith("Variable '$f' got invalid value 'xx")
    assert cut.endswith("xx'; Expected type 'Int'.")
    assert exposure.truncate("short") == "short"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("production", (False, False, True, True)),
        ("development", (True, True, False, False)),
    ],
)
def test_each_setting_defaults_by_env_and_an_explicit_value_wins(
    env: str, expected: tuple[bool, bool, bool, bool]
) -> None:
    names = ("introspection", "graphiql", "mask_suggestions", "mask_subgraph_errors")
    defaults = GatewaySettings(env=env)  # type: ignore[arg-type]
    assert tuple(getattr(defaults, n) for n in names) == expected
    opposite = {n: not e for n, e in zip(names, expected, strict=True)}
    flipped = GatewaySettings(env=env, **opposite)  # type: ignore[arg-type]
    assert tuple(getattr(flipped, n) for n in names) == tuple(opposite.values())
