"""Disclosures: what each response reveals about each data subject, handed to the hook before
the response leaves, and the response refused when it cannot be recorded (fixtures/disclosure:
Person, keyed by id, with fields in two subgraphs; a test issuer over real HTTP)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway import pipeline
from gateway.disclosure import Disclosure
from gateway.errors import ConfigurationError, GatewayError, SupergraphError
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from tests.gateway.fixtures.disclosure.hooks import HOOK, closing
from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer
from tests.gateway.kit.subgraph import Fault

TOPIC = "disclosure"
HOOK_SPEC = "tests.gateway.fixtures.disclosure.hooks:record"
EVERY_SCOPE = "identity:read email:read family:read income:read vehicles:read tax:read"
UNAVAILABLE = {
    "errors": [
        {
            "message": "The disclosure log cannot record this response right now, so it is "
            "withheld; try again shortly.",
            "extensions": {"code": "DISCLOSURE_LOG_UNAVAILABLE"},
        }
    ]
}

pytestmark = pytest.mark.skipif(REFERENCE, reason="disclosures are this gateway's own")


@pytest.fixture(scope="module")
def federation(issuer: TestIssuer) -> Iterator[Federation]:
    settings = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{issuer.url}/revocations",
        "disclosure_subject": "Person.id",
        "disclosure_hook": HOOK_SPEC,
        "disclosure_timeout": 0.5,
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        yield fed


@pytest.fixture(autouse=True)
def hook() -> Iterator[None]:
    HOOK.reset()
    yield
    HOOK.reset()


async def _ask(
    gw: GatewayClient,
    issuer: TestIssuer,
    query: str,
    scope: str = EVERY_SCOPE,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    token = issuer.mint(scope=scope)
    return await gw.query(query, headers={"authorization": f"Bearer {token}", **(headers or {})})


async def _disclosed(
    gw: GatewayClient, issuer: TestIssuer, query: str, scope: str = EVERY_SCOPE
) -> list[Disclosure]:
    """What the one hook call for `query` was given; the response must have been a 200."""
    status, body = await _ask(gw, issuer, query, scope)
    assert status == 200, body
    [(_, disclosures, _)] = HOOK.calls
    return disclosures


# -- what is recorded ----------------------------------------------------------------------


async def test_one_disclosure_per_subject_with_its_scoped_fields(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    status, body = await _ask(
        gw, issuer, "{ me { nickname name { given } income { total year } email } }"
    )
    assert status == 200
    assert body == {
        "data": {
            "me": {
                "nickname": "ada",
                "name": {"given": "Ada"},
                "income": {"total": 5000, "year": 2024},
                "email": "ada@example.org",
            }
        }
    }
    [(claims, disclosures, trace_id)] = HOOK.calls
    assert disclosures == [
        Disclosure(
            "1",
            ("email", "income.total", "income.year", "name.given"),
            frozenset({"email:read", "identity:read", "income:read"}),
        )
    ]
    assert claims is not None and claims["sub"] == "19800101-0001"
    assert claims["client_id"] == "bank" and trace_id is None


async def test_the_key_is_fetched_but_not_shown(
    gw: GatewayClient, issuer: TestIssuer, fed: Federation
) -> None:
    status, body = await _ask(gw, issuer, "{ me { email } }")
    assert (status, body) == (200, {"data": {"me": {"email": "ada@example.org"}}})
    [request] = fed.subgraphs["people"].requests
    assert request["query"] == "query {me{email id}}"
    assert HOOK.calls[0][1] == [Disclosure("1", ("email",), frozenset({"email:read"}))]


async def test_a_key_the_client_selects_is_shown_once(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    status, body = await _ask(gw, issuer, "{ me { id email } }")
    assert (status, body) == (200, {"data": {"me": {"id": "1", "email": "ada@example.org"}}})
    assert HOOK.calls[0][1] == [Disclosure("1", ("email",), frozenset({"email:read"}))]


async def test_fields_the_client_did_not_select_are_not_recorded(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    disclosures = await _disclosed(gw, issuer, "{ me { name { family } } }")
    assert disclosures == [Disclosure("1", ("name.family",), frozenset({"identity:read"}))]


async def test_unscoped_fields_are_not_personal_data(gw: GatewayClient, issuer: TestIssuer) -> None:
    disclosures = await _disclosed(gw, issuer, "{ version me { nickname name { given } } }")
    assert disclosures == [Disclosure("1", ("name.given",), frozenset({"identity:read"}))]


async def test_no_hook_call_when_nothing_scoped_is_disclosed(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    status, body = await _ask(gw, issuer, "{ version me { nickname friend { nickname } } }")
    assert status == 200 and "errors" not in body
    assert HOOK.calls == []


async def test_a_scoped_null_tells_there_is_none_unless_an_error_explains_it(
    gw: GatewayClient, issuer: TestIssuer, fed: Federation
) -> None:
    # Cleo has no email: the answer says so.
    disclosures = await _disclosed(gw, issuer, '{ node(id: "3") { ... on Person { email } } }')
    assert disclosures == [Disclosure("3", ("email",), frozenset({"email:read"}))]
    HOOK.reset()
    # Ada's email could not be read: the null is the error's, and nothing was disclosed.
    fed.subgraphs["people"].fault = Fault.error_at(["me", "email"], "no", code="FORBIDDEN")
    status, body = await _ask(gw, issuer, "{ me { email name { given } } }")
    assert status == 200 and body["data"] == {"me": {"email": None, "name": {"given": "Ada"}}}
    assert HOOK.calls[0][1] == [Disclosure("1", ("name.given",), frozenset({"identity:read"}))]


async def test_denied_fields_are_not_recorded(gw: GatewayClient, issuer: TestIssuer) -> None:
    status, body = await _ask(gw, issuer, "{ me { name { given } email } }", "identity:read")
    assert status == 200 and body["data"] == {"me": {"name": {"given": "Ada"}, "email": None}}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    assert HOOK.calls[0][1] == [Disclosure("1", ("name.given",), frozenset({"identity:read"}))]


async def test_anonymous_callers_see_nothing_scoped_and_nothing_is_recorded(
    gw: GatewayClient,
) -> None:
    status, body = await gw.query("{ me { nickname email } }")
    assert status == 200 and body["data"] == {"me": {"nickname": "ada", "email": None}}
    assert HOOK.calls == []


async def test_scopes_are_the_group_the_caller_holds(gw: GatewayClient, issuer: TestIssuer) -> None:
    # Person.email: @requiresScopes(scopes: [["email:read"], ["admin"]])
    disclosures = await _disclosed(gw, issuer, "{ me { email } }", "admin")
    assert disclosures == [Disclosure("1", ("email",), frozenset({"admin"}))]


async def test_a_requirement_on_the_returned_type_counts(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    # taxCard carries nothing itself; TaxCard is @requiresScopes(scopes: [["tax:read"]]).
    disclosures = await _disclosed(gw, issuer, "{ me { taxCard { rate } } }")
    assert disclosures == [Disclosure("1", ("taxCard.rate",), frozenset({"tax:read"}))]


async def test_aliases_are_recorded_by_field_name(gw: GatewayClient, issuer: TestIssuer) -> None:
    status, body = await _ask(gw, issuer, "{ me { mail: email n: name { g: given } } }")
    assert (status, body) == (200, {"data": {"me": {"mail": "ada@example.org", "n": {"g": "Ada"}}}})
    assert HOOK.calls[0][1] == [
        Disclosure("1", ("email", "name.given"), frozenset({"email:read", "identity:read"}))
    ]


async def test_the_keys_response_key_cannot_name_another_field(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    status, body = await _ask(gw, issuer, "{ me { id: nickname email } }")
    assert status == 200 and body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert "'id' on Person is reserved" in error["message"]
    assert HOOK.calls == []


# -- lists, nesting, abstract types --------------------------------------------------------


async def test_a_list_of_subjects_gives_one_disclosure_each(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    disclosures = await _disclosed(gw, issuer, "{ people { email } }")
    assert disclosures == [
        Disclosure("1", ("email",), frozenset({"email:read"})),
        Disclosure("2", ("email",), frozenset({"email:read"})),
        Disclosure("3", ("email",), frozenset({"email:read"})),
    ]


async def test_paths_below_a_subject_leave_out_list_indices(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    disclosures = await _disclosed(gw, issuer, "{ people { vehicles { registration colour } } }")
    # Ada's two vehicles give one path per field; an empty list is disclosed as such.
    assert disclosures == [
        Disclosure("1", ("vehicles.colour", "vehicles.registration"), frozenset({"vehicles:read"})),
        Disclosure("2", ("vehicles",), frozenset({"vehicles:read"})),
        Disclosure("3", ("vehicles",), frozenset({"vehicles:read"})),
    ]


async def test_a_nested_subject_owns_its_fields_and_the_relation_is_its_parents(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    status, body = await _ask(gw, issuer, "{ me { children { name { given } income { total } } } }")
    assert status == 200
    assert body == {"data": {"me": {"children": [{"name": {"given": "Cleo"}, "income": None}]}}}
    # Cleo's income is null: that she has none is hers too.
    assert HOOK.calls[0][1] == [
        Disclosure("1", ("children",), frozenset({"family:read"})),
        Disclosure("3", ("income", "name.given"), frozenset({"identity:read", "income:read"})),
    ]


async def test_a_subject_reached_through_an_unscoped_field_is_only_its_own(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    disclosures = await _disclosed(gw, issuer, "{ me { friend { email } } }")
    assert disclosures == [Disclosure("2", ("email",), frozenset({"email:read"}))]


async def test_one_subject_met_twice_is_one_disclosure(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    disclosures = await _disclosed(gw, issuer, "{ me { email } people { name { given } } }")
    assert disclosures == [
        Disclosure("1", ("email", "name.given"), frozenset({"email:read", "identity:read"})),
        Disclosure("2", ("name.given",), frozenset({"identity:read"})),
        Disclosure("3", ("name.given",), frozenset({"identity:read"})),
    ]


async def test_subjects_under_an_interface_and_a_union(
    gw: GatewayClient, issuer: TestIssuer, fed: Federation
) -> None:
    status, body = await _ask(
        gw,
        issuer,
        '{ node(id: "1") { ... on Person { email } } '
        'search(text: "a") { ... on Person { name { given } } ... on Company { title: name } } }',
    )
    assert status == 200
    assert body == {
        "data": {
            "node": {"email": "ada@example.org"},
            "search": [
                {"name": {"given": "Ada"}},
                {"title": "Analytical Engines"},
                {"name": {"given": "Brian"}},
            ],
        }
    }
    assert HOOK.calls[0][1] == [
        Disclosure("1", ("email", "name.given"), frozenset({"email:read", "identity:read"})),
        Disclosure("2", ("name.given",), frozenset({"identity:read"})),
    ]
    # The key is asked for once per object that may be a Person, and only there.
    [request] = fed.subgraphs["people"].requests
    assert request["query"] == (
        'query {node(id: "1"){__typename ... on Person{email id}} search(text: "a")'
        "{__typename ... on Company{title:name} ... on Person{name{given} id}}}"
    )


async def test_a_mutations_answer_discloses_too(gw: GatewayClient, issuer: TestIssuer) -> None:
    status, body = await _ask(
        gw, issuer, 'mutation { rename(nickname: "countess") { nickname email } }'
    )
    assert status == 200
    assert body == {"data": {"rename": {"nickname": "countess", "email": "ada@example.org"}}}
    assert HOOK.calls[0][1] == [Disclosure("1", ("email",), frozenset({"email:read"}))]


async def test_the_hook_gets_the_trace_id(gw: GatewayClient, issuer: TestIssuer) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    status, _ = await _ask(
        gw, issuer, "{ me { email } }", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}
    )
    assert status == 200 and HOOK.calls[0][2] == trace


# -- fail closed ---------------------------------------------------------------------------


async def test_a_failing_hook_refuses_the_response(gw: GatewayClient, issuer: TestIssuer) -> None:
    HOOK.error = RuntimeError("log store down")
    status, body = await _ask(gw, issuer, "{ me { email } }")
    assert (status, body) == (503, UNAVAILABLE)


async def test_a_failing_hook_refuses_a_mutations_answer(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    HOOK.error = RuntimeError("log store down")
    status, body = await _ask(gw, issuer, 'mutation { rename(nickname: "x") { email } }')
    assert (status, body) == (503, UNAVAILABLE)


async def test_a_slow_hook_refuses_the_response_after_the_timeout(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    HOOK.delay = 5.0
    started = time.monotonic()
    status, body = await _ask(gw, issuer, "{ me { email } }")
    assert (status, body) == (503, UNAVAILABLE)
    assert 0.5 <= time.monotonic() - started < 3.0
    assert HOOK.calls == []


async def test_a_subject_without_its_key_refuses_the_response(
    gw: GatewayClient, issuer: TestIssuer, fed: Federation
) -> None:
    def drop_key(_body: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        del result["data"]["me"]["id"]
        return result

    fed.subgraphs["people"].fault = Fault(after=drop_key)
    status, body = await _ask(gw, issuer, "{ me { email } }")
    assert (status, body) == (503, UNAVAILABLE)
    # With nothing scoped to attribute, whose object it was does not matter.
    status, body = await _ask(gw, issuer, "{ me { nickname } }")
    assert (status, body) == (200, {"data": {"me": {"nickname": "ada"}}})
    assert HOOK.calls == []


# -- cost ----------------------------------------------------------------------------------


async def test_the_keys_are_planned_once_per_operation(
    gw: GatewayClient, issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = []
    plan_operation = pipeline.plan_operation

    def counting(*args: Any) -> Any:
        planned.append(args)
        return plan_operation(*args)

    monkeypatch.setattr(pipeline, "plan_operation", counting)
    query = "query Twice { me { email children { email } } }"
    for _ in range(2):
        status, _ = await _ask(gw, issuer, query)
        assert status == 200
    assert len(planned) == 1 and len(HOOK.calls) == 2


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"disclosure_subject": "Person.id"}, ConfigurationError, "GATEWAY_DISCLOSURE_HOOK"),
        ({"disclosure_hook": HOOK_SPEC}, ConfigurationError, "GATEWAY_DISCLOSURE_SUBJECT"),
        (
            {"disclosure_subject": "Citizen.id", "disclosure_hook": HOOK_SPEC},
            SupergraphError,
            "GATEWAY_DISCLOSURE_SUBJECT: the supergraph has no object type 'Citizen'",
        ),
        (
            {"disclosure_subject": "Node.id", "disclosure_hook": HOOK_SPEC},
            SupergraphError,
            "GATEWAY_DISCLOSURE_SUBJECT: the supergraph has no object type 'Node'",
        ),
        (
            {"disclosure_subject": "Person.ssn", "disclosure_hook": HOOK_SPEC},
            SupergraphError,
            "GATEWAY_DISCLOSURE_SUBJECT: Person has no field 'ssn'",
        ),
        (
            {"disclosure_subject": "Person.name", "disclosure_hook": HOOK_SPEC},
            SupergraphError,
            "GATEWAY_DISCLOSURE_SUBJECT: Person.name must be a scalar",
        ),
        (
            {"disclosure_subject": "Person.id", "disclosure_hook": "tests.nowhere:record"},
            ConfigurationError,
            "GATEWAY_DISCLOSURE_HOOK: cannot import 'tests.nowhere:record'",
        ),
        (
            {
                "disclosure_subject": "Person.id",
                "disclosure_hook": "tests.gateway.fixtures.disclosure.hooks:not_callable",
            },
            ConfigurationError,
            "GATEWAY_DISCLOSURE_HOOK: .* is not callable",
        ),
    ],
)
def test_settings_the_gateway_cannot_honour_stop_the_start(
    settings: dict[str, str], error: type[GatewayError], message: str
) -> None:
    with pytest.raises(error, match=message):
        Gateway(load_topic(TOPIC).supergraph, GatewaySettings(**settings))  # type: ignore[arg-type]


def test_without_the_settings_the_stage_is_off() -> None:
    assert Gateway(load_topic(TOPIC).supergraph).disclosures is None


async def test_a_hook_holding_resources_is_closed_when_the_gateway_stops() -> None:
    settings = GatewaySettings(
        disclosure_subject="Person.id",
        disclosure_hook="tests.gateway.fixtures.disclosure.hooks:closing",
    )
    gateway = Gateway(load_topic(TOPIC).supergraph, settings)
    await gateway.start()
    assert not closing.closed
    await gateway.close()
    assert closing.closed
