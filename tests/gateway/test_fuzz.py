"""Whatever a client sends, the gateway answers in the GraphQL response shape and never fails:
valid operations drawn from the API schema get 200 with no request error; damaged ones, random
JSON and random bytes get a GraphQL error with a code and a 4xx (or a deliberate 503), never
another 5xx; and the gateway still answers a normal query afterwards (fixtures/abstract_types:
interfaces, a union, arguments). The same strategies run for minutes in `python -m bench fuzz`.

The short runs here are derandomized, so a failure is reproducible; hypothesis keeps no
example database.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLSchema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.invariants import request_errors, violations
from bench.strategies import (
    GraphQLRequest,
    damaged_requests,
    json_values,
    raw_bodies,
    request_shaped_bodies,
    to_json,
    valid_requests,
)
from gateway.errors import PlanningError
from gateway.operation import RequestError
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from tests.gateway.kit.federation import Federation, load_topic

TOPIC = "abstract_types"
# Valid operations include a little introspection, off by default in production (its refusal:
# test_exposure.py).
GATEWAY_SETTINGS = {"introspection": True}
_SHORT = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_JSON = {"content-type": "application/json", "accept": "application/json"}
# A GET carrying a header a browser's simple request cannot, as CSRF prevention asks.
_PREFLIGHTED_GET = {"accept": "application/json", "graphql-preflight": "1"}
_REFUSED_FOR_LOAD = (429, 503)


@cache
def _gateway(topic: str) -> Gateway:
    return Gateway(load_topic(topic).supergraph, GatewaySettings(**GATEWAY_SETTINGS))


def _schema() -> GraphQLSchema:
    return _gateway(TOPIC).api_schema


@pytest.fixture(scope="module")
def client(federation: Federation) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=federation.gateway.base_url, timeout=30) as client:
        yield client


def _post(client: httpx.Client, body: bytes, headers: dict[str, str] = _JSON) -> Any:
    answer = client.post("/graphql", content=body, headers=headers)
    problems = violations(answer.status_code, answer.content)
    assert not problems, f"{problems} for {body[:500]!r}"
    return answer.status_code, orjson.loads(answer.content)


# In process: parse, validate, normalise and plan, on several topics' supergraphs.


@pytest.mark.parametrize("topic", ["abstract_types", "intersections", "operations", "requires"])
def test_every_generated_operation_is_accepted_and_planned(topic: str) -> None:
    gateway = _gateway(topic)

    @_SHORT
    @given(valid_requests(gateway.api_schema))
    def check(request: GraphQLRequest) -> None:
        prepared = gateway.prepare(request.query, request.operation_name)
        variables = gateway.coerce_variables(prepared, request.variables)
        planned = gateway.plan(prepared, variables)
        assert planned.operation.kind == prepared.kind

    check()


@_SHORT
@given(damaged_requests(_schema()))
def test_a_damaged_operation_is_refused_with_errors_or_planned(request: GraphQLRequest) -> None:
    gateway = _gateway(TOPIC)
    try:
        prepared = gateway.prepare(request.query, request.operation_name)
        gateway.plan(prepared, gateway.coerce_variables(prepared, request.variables))
    except RequestError as error:
        assert error.errors
        assert all(isinstance(e.get("message"), str) and e["message"] for e in error.errors)
    except PlanningError as error:
        pytest.fail(f"a valid operation could not be planned: {error}: {request}")


# Over HTTP, against the topic's subgraphs.


@_SHORT
@given(request=valid_requests(_schema()), method=st.sampled_from(("POST", "GET")))
def test_a_valid_operation_gets_200_without_request_errors(
    client: httpx.Client, request: GraphQLRequest, method: str
) -> None:
    if method == "GET" and not request.query.startswith("mutation"):
        params = {"query": request.query, "variables": to_json(request.variables).decode()}
        if request.operation_name is not None:
            params["operationName"] = request.operation_name
        answer = client.get("/graphql", params=params, headers=_PREFLIGHTED_GET)
        assert not violations(answer.status_code, answer.content), answer.content
        status, payload = answer.status_code, orjson.loads(answer.content)
    else:
        status, payload = _post(client, to_json(request.body()))
    if status in _REFUSED_FOR_LOAD:
        return  # a rate limit or load shedding may turn it away, but never call it invalid
    assert status == 200, payload
    assert not request_errors(payload), (request, payload)
    assert isinstance(payload["data"], dict)


@_SHORT
@given(request=damaged_requests(_schema()))
def test_a_damaged_operation_gets_a_graphql_error_never_a_5xx(
    client: httpx.Client, request: GraphQLRequest
) -> None:
    status, payload = _post(client, to_json(request.body()))
    if status != 200:
        assert 400 <= status < 500 or status == 503
        assert payload["errors"]


@_SHORT
@given(body=json_values | request_shaped_bodies(_schema()))
def test_any_json_body_gets_a_graphql_shaped_answer(client: httpx.Client, body: Any) -> None:
    status, payload = _post(client, to_json(body))
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        assert status >= 400, payload


@_SHORT
@given(body=raw_bodies)
def test_any_bytes_with_any_content_type_get_a_graphql_shaped_answer(
    client: httpx.Client, body: tuple[str, bytes]
) -> None:
    content_type, content = body
    _post(client, content, {"content-type": content_type, "accept": "application/json"})


@_SHORT
@given(params=st.dictionaries(st.sampled_from(("query", "variables", "operationName")), st.text()))
def test_any_query_parameters_on_get_get_a_graphql_shaped_answer(
    client: httpx.Client, params: dict[str, str]
) -> None:
    answer = client.get("/graphql", params=params, headers={"accept": "application/json"})
    problems = violations(answer.status_code, answer.content)
    assert not problems, f"{problems} for {params!r}"


def test_after_all_that_the_gateway_still_answers_a_normal_query(client: httpx.Client) -> None:
    answer = client.post("/graphql", json={"query": "{ search { __typename } }"})
    assert answer.status_code == 200
    assert answer.json() == {"data": {"search": [{"__typename": "Book"}, {"__typename": "Movie"}]}}
