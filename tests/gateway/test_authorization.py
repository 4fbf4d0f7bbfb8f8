"""Authorization: @authenticated and @requiresScopes on fields, object types, interfaces,
scalars and enums, enforced before planning; denied fields answer null with an error, and
nothing the caller may not see is fetched (fixtures/authorization). Policies:
test_authorization_policy.py; reading the directives: test_authorization_model.py."""

from typing import Any

import pytest

from gateway import pipeline
from gateway.authentication import ANONYMOUS, Caller
from gateway.authorization import Authorizer
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings
from tests.gateway.fixtures.authorization.run import HOOK, denied, execute, signed_in
from tests.gateway.kit.asserts import assert_same_order
from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient

TOPIC = "authorization"
pytestmark = pytest.mark.skipif(REFERENCE, reason="@apollo/gateway refuses for: SECURITY specs")
GATEWAY_SETTINGS = {"policy_hook": HOOK}

# Composition since federation 2.12 copies an implementation's field requirements onto the
# interface and demands that a field carry the requirements of what it @requires; supergraphs
# composed before do neither. These are the fixture's supergraph as those would write it.
_DOCUMENT_TITLE = (
    "interface Document\n  @join__type(graph: PEOPLE)\n{\n  id: ID!\n"
    '  title: String @requiresScopes(scopes: [["passport:read"]])\n'
)
_NET_PAY = (
    'netPay: Int! @join__field(graph: PAYROLL, requires: "grossPay")'
    ' @requiresScopes(scopes: [["pay:read"]])'
)


def _without_propagation(supergraph: str) -> str:
    assert _DOCUMENT_TITLE in supergraph and _NET_PAY in supergraph
    return supergraph.replace(
        _DOCUMENT_TITLE,
        _DOCUMENT_TITLE.replace(' @requiresScopes(scopes: [["passport:read"]])', ""),
    ).replace(_NET_PAY, _NET_PAY.split(" @requiresScopes")[0])


def _requests(fed: Federation) -> dict[str, list[dict[str, Any]]]:
    return {name: list(subgraph.requests) for name, subgraph in fed.subgraphs.items()}


async def test_field_denied_in_every_list_item_and_never_fetched(fed: Federation) -> None:
    body = await execute(fed.supergraph, "{ people { name email } }")
    assert body == {
        "errors": [denied("people", 0, "email"), denied("people", 1, "email")],
        "data": {"people": [{"name": "Ada", "email": None}, {"name": "Brian", "email": None}]},
    }
    (request,) = fed.subgraphs["people"].requests
    assert "email" not in request["query"]


@pytest.mark.parametrize(
    ("scope", "email"),
    [
        ("email:read", "ada@example.org"),
        ("admin", "ada@example.org"),
        ("email:write profile", None),
    ],
)
async def test_scope_groups_are_alternatives(
    fed: Federation, scope: str, email: str | None
) -> None:
    # Person.email: @requiresScopes(scopes: [["email:read"], ["admin"]])
    body = await execute(fed.supergraph, "{ me { email } }", signed_in(scope))
    if email is None:
        assert body == {"errors": [denied("me", "email")], "data": {"me": {"email": None}}}
    else:
        assert body == {"data": {"me": {"email": email}}}


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("phone:read pii", True),
        ("pii phone:read admin", True),
        ("phone:read", False),
        ("pii", False),
    ],
)
async def test_scopes_of_a_group_are_all_needed(fed: Federation, scope: str, allowed: bool) -> None:
    # Person.phone: String! @requiresScopes(scopes: [["phone:read", "pii"]])
    body = await execute(fed.supergraph, "{ me { phone } }", signed_in(scope))
    if allowed:
        assert body == {"data": {"me": {"phone": "+358 1"}}}
    else:
        assert body == {"errors": [denied("me", "phone")], "data": {"me": None}}


async def test_authenticated_field_anonymous_and_signed_in(fed: Federation) -> None:
    anonymous = await execute(fed.supergraph, "{ me { name } }")
    assert anonymous == {"errors": [denied("me")], "data": {"me": None}}
    assert await execute(fed.supergraph, "{ me { name } }", signed_in()) == {
        "data": {"me": {"name": "Ada"}}
    }


async def test_claims_make_a_caller_authenticated_not_its_scopes(fed: Federation) -> None:
    scoped_but_anonymous = Caller(scopes=frozenset({"email:read"}))
    body = await execute(fed.supergraph, "{ me { name } }", scoped_but_anonymous)
    assert body == {"errors": [denied("me")], "data": {"me": None}}


async def test_denied_non_null_field_nulls_its_nullable_parent(fed: Federation) -> None:
    body = await execute(fed.supergraph, "{ version me { name phone } }", signed_in("phone:read"))
    # One error, at the denied field: the null it causes needs no other.
    assert body == {"errors": [denied("me", "phone")], "data": {"version": "1.0", "me": None}}
    assert_same_order(body["data"], {"version": "1.0", "me": None})


async def test_denied_non_null_field_can_null_the_whole_data(fed: Federation) -> None:
    # people: [Person!]! and phone: String!, so the null reaches the root.
    body = await execute(fed.supergraph, "{ version people { name phone } }")
    assert body == {"errors": [denied("people", 0, "phone")], "data": None}


async def test_denied_root_field_leaves_the_others(fed: Federation) -> None:
    body = await execute(fed.supergraph, "{ stats { count } version }")
    assert body == {"errors": [denied("stats")], "data": {"stats": None, "version": "1.0"}}
    allowed = await execute(fed.supergraph, "{ stats { count } version }", signed_in("stats:read"))
    assert allowed == {"data": {"stats": {"count": 2}, "version": "1.0"}}


async def test_no_subgraph_is_asked_when_every_root_field_is_denied(fed: Federation) -> None:
    body = await execute(fed.supergraph, "{ __typename me { name } stats { count } }")
    assert body == {
        "errors": [denied("me"), denied("stats")],
        "data": {"__typename": "Query", "me": None, "stats": None},
    }
    assert _requests(fed) == {"people": [], "payroll": []}


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (Caller(scopes=frozenset({"salary:read"})), False),
        (signed_in(), False),
        (signed_in("salary:read"), True),
    ],
)
async def test_field_and_object_type_requirements_all_apply(
    fed: Federation, caller: Caller, allowed: bool
) -> None:
    # Person.salary is @authenticated and returns Salary @requiresScopes([["salary:read"]]).
    body = await execute(fed.supergraph, "{ people { name salary { amount } } }", caller)
    if allowed:
        assert body == {
            "data": {
                "people": [
                    {"name": "Ada", "salary": {"amount": 5000}},
                    {"name": "Brian", "salary": {"amount": 3000}},
                ]
            }
        }
    else:
        assert body == {
            "errors": [denied("people", 0, "salary"), denied("people", 1, "salary")],
            "data": {
                "people": [{"name": "Ada", "salary": None}, {"name": "Brian", "salary": None}]
            },
        }


async def test_scalar_requirement_applies_to_fields_returning_it(fed: Federation) -> None:
    # scalar TaxId @requiresScopes(scopes: [["tax:read"]])
    body = await execute(fed.supergraph, "{ people { taxId } }", signed_in("admin"))
    assert body == {
        "errors": [denied("people", 0, "taxId"), denied("people", 1, "taxId")],
        "data": {"people": [{"taxId": None}, {"taxId": None}]},
    }
    allowed = await execute(fed.supergraph, "{ people { taxId } }", signed_in("tax:read"))
    assert allowed == {"data": {"people": [{"taxId": "TX-1"}, {"taxId": "TX-2"}]}}


async def test_enum_requirement_applies_to_fields_returning_it(fed: Federation) -> None:
    # enum Status @authenticated
    body = await execute(fed.supergraph, "{ people { name status } }")
    assert body == {
        "errors": [denied("people", 0, "status"), denied("people", 1, "status")],
        "data": {"people": [{"name": "Ada", "status": None}, {"name": "Brian", "status": None}]},
    }
    allowed = await execute(fed.supergraph, "{ people { status } }", signed_in())
    assert allowed == {"data": {"people": [{"status": "ACTIVE"}, {"status": "RETIRED"}]}}


async def test_interface_requirement_applies_to_fields_returning_it(fed: Federation) -> None:
    # interface Vehicle @requiresScopes(scopes: [["vehicles:read"]]), from its implementations
    body = await execute(fed.supergraph, "{ vehicles { plate } version }", signed_in())
    assert body == {"errors": [denied("vehicles")], "data": {"vehicles": None, "version": "1.0"}}
    allowed = await execute(fed.supergraph, "{ vehicles { plate } }", signed_in("vehicles:read"))
    assert allowed == {"data": {"vehicles": [{"plate": "ABC-1"}, {"plate": "B-2"}]}}


@pytest.mark.parametrize(
    "query",
    [
        "{ feed { __typename ... on Post { text } ... on Secret { code } } }",
        "{ feed { __typename ...P ...S } }"
        " fragment P on Post { text } fragment S on Secret { code }",
    ],
)
async def test_fragment_on_a_restricted_type(fed: Federation, query: str) -> None:
    # union FeedItem = Post | Secret, and type Secret @authenticated
    body = await execute(fed.supergraph, query)
    assert body == {
        "errors": [denied("feed", 1, "code")],
        "data": {
            "feed": [
                {"__typename": "Post", "text": "hello"},
                {"__typename": "Secret", "code": None},
            ]
        },
    }
    allowed = await execute(fed.supergraph, query, signed_in())
    assert allowed == {
        "data": {
            "feed": [
                {"__typename": "Post", "text": "hello"},
                {"__typename": "Secret", "code": "42"},
            ]
        }
    }


@pytest.mark.parametrize("composed", ["since 2.12", "before 2.12"])
async def test_interface_field_with_one_restricted_implementation(
    fed: Federation, composed: str
) -> None:
    # Passport.title needs passport:read, Letter.title nothing. On the interface, title is
    # denied unless the caller may read it on every implementation, whether or not
    # composition copied the requirement onto Document.title.
    supergraph = (
        fed.supergraph if composed == "since 2.12" else _without_propagation(fed.supergraph)
    )
    body = await execute(supergraph, "{ documents { id title } }")
    assert body == {
        "errors": [denied("documents", 0, "title"), denied("documents", 1, "title")],
        "data": {"documents": [{"id": "L1", "title": None}, {"id": "P1", "title": None}]},
    }
    allowed = await execute(supergraph, "{ documents { id title } }", signed_in("passport:read"))
    assert allowed == {
        "data": {
            "documents": [
                {"id": "L1", "title": "Dear Ada"},
                {"id": "P1", "title": "Passport of Ada"},
            ]
        }
    }
    through_letter = await execute(supergraph, "{ documents { id ... on Letter { title } } }")
    assert through_letter == {
        "data": {"documents": [{"id": "L1", "title": "Dear Ada"}, {"id": "P1"}]}
    }


@pytest.mark.parametrize(
    "query",
    [
        "{ documents { title ... on Letter { title } } }",
        "{ documents { ... on Letter { title } title } }",
    ],
)
async def test_field_denied_where_selected_once_is_denied_everywhere(
    fed: Federation, query: str
) -> None:
    # Fail closed: the selection on Letter alone would pass, the one on Document does not.
    body = await execute(fed.supergraph, query)
    assert body == {
        "errors": [denied("documents", 0, "title"), denied("documents", 1, "title")],
        "data": {"documents": [{"title": None}, {"title": None}]},
    }


async def test_required_input_denied_to_the_caller_is_fetched_but_never_shown(
    fed: Federation,
) -> None:
    # grossPay needs pay:read; netPay @requires it and (as composed before 2.12) needs nothing.
    supergraph = _without_propagation(fed.supergraph)
    body = await execute(supergraph, "{ people { name netPay } }")
    assert body == {
        "data": {"people": [{"name": "Ada", "netPay": 3500}, {"name": "Brian", "netPay": 2100}]}
    }
    assert fed.subgraphs["payroll"].entity_requests() == [
        [
            {"__typename": "Person", "id": "1", "grossPay": 5000},
            {"__typename": "Person", "id": "2", "grossPay": 3000},
        ]
    ]
    fed.reset()
    asked = await execute(supergraph, "{ me { netPay grossPay } }", signed_in())
    assert asked == {"errors": [denied("me", "grossPay")], "data": {"me": None}}


async def test_reject_unauthorized_refuses_the_whole_request(fed: Federation) -> None:
    query = "{ version people { name email } me { name } }"
    body = await execute(fed.supergraph, query, reject_unauthorized=True)
    assert body == {"data": None, "errors": [denied("people", "email"), denied("me")]}
    assert _requests(fed) == {"people": [], "payroll": []}
    allowed = await execute(fed.supergraph, query, signed_in("admin"), reject_unauthorized=True)
    assert allowed == {
        "data": {
            "version": "1.0",
            "people": [
                {"name": "Ada", "email": "ada@example.org"},
                {"name": "Brian", "email": "brian@example.org"},
            ],
            "me": {"name": "Ada"},
        }
    }


async def test_plans_are_cached_per_outcome(
    fed: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned: list[str] = []
    checked: list[str] = []
    plan_operation, check = pipeline.plan_operation, Authorizer.check

    def counting_plan(*args: Any) -> Any:
        planned.append("plan")
        return plan_operation(*args)

    def counting_check(self: Authorizer, operation: Any) -> Any:
        checked.append("check")
        return check(self, operation)

    monkeypatch.setattr(pipeline, "plan_operation", counting_plan)
    monkeypatch.setattr(Authorizer, "check", counting_check)
    gateway = Gateway(fed.supergraph, GatewaySettings(policy_hook=HOOK))
    await gateway.start()
    try:
        prepared = gateway.prepare("{ people { name email } }", None)
        callers = [ANONYMOUS, signed_in("admin"), signed_in(), ANONYMOUS, signed_in("email:read")]
        for caller in callers:
            await gateway.execute(prepared, None, {}, caller=caller)
    finally:
        await gateway.close()
    # Anonymous and signed in without a scope fail the same requirement: one outcome, one
    # plan; admin and email:read fail none: the other.
    assert checked == ["check"]
    assert planned == ["plan", "plan"]
    (normalised,) = prepared.by_conditions.values()
    operations = sorted(p.plan.fetches()[0].operation for p in normalised.plans.values())
    assert operations == ["query {people{name email}}", "query {people{name}}"]


async def test_renamed_directives_are_enforced(fed: Federation) -> None:
    supergraph = fed.supergraph.replace(
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)',
    ).replace(
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY,'
        ' import: [{name: "@requiresScopes", as: "@scopes"}])',
    )
    supergraph = supergraph.replace("@authenticated", "@signedIn").replace(
        "@requiresScopes(", "@scopes("
    )
    body = await execute(supergraph, "{ me { name } people { email } }")
    assert body == {
        "errors": [denied("me"), denied("people", 0, "email"), denied("people", 1, "email")],
        "data": {"me": None, "people": [{"email": None}, {"email": None}]},
    }


async def test_requests_over_http_are_checked_as_anonymous(gw: GatewayClient) -> None:
    status, body = await gw.query("{ version me { name } }")
    assert status == 200
    assert body == {"errors": [denied("me")], "data": {"version": "1.0", "me": None}}
