"""Authorization by @policy: the GATEWAY_POLICY_HOOK decides, once per request, the policies
the operation touches; whatever it does not clearly grant is denied (fixtures/authorization,
hooks in fixtures/authorization/policies.py)."""

import logging
from collections.abc import Iterator

import pytest

from gateway.errors import SupergraphError
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings, load_settings
from tests.gateway.fixtures.authorization import policies
from tests.gateway.fixtures.authorization.run import HOOK, denied, execute, signed_in
from tests.gateway.kit.federation import REFERENCE, Federation, load_topic

TOPIC = "authorization"
pytestmark = pytest.mark.skipif(REFERENCE, reason="@apollo/gateway refuses for: SECURITY specs")
GATEWAY_SETTINGS = {"policy_hook": HOOK}
_HOOKS = "tests.gateway.fixtures.authorization.policies"
_AUDIT = {"data": {"audit": [{"action": "signed in"}]}}
_AUDIT_DENIED = {"errors": [denied("audit")], "data": {"audit": None}}
# Query.audit: @policy(policies: [["auditor"], ["admin", "security"]])
_TOUCHED = frozenset({"auditor", "admin", "security"})


@pytest.fixture(autouse=True)
def _forget_calls() -> Iterator[None]:
    policies.calls.clear()
    yield
    policies.calls.clear()


@pytest.mark.parametrize("hook", ["from_claims", "from_claims_later"])
@pytest.mark.parametrize(
    ("held", "allowed"),
    [
        (["auditor"], True),
        (["admin", "security"], True),
        (["admin"], False),
        ([], False),
    ],
)
async def test_hook_grants_policies_sync_or_async(
    fed: Federation, hook: str, held: list[str], allowed: bool
) -> None:
    caller = signed_in(policies=held)
    body = await execute(
        fed.supergraph, "{ audit { action } }", caller, policy_hook=f"{_HOOKS}:{hook}"
    )
    assert body == (_AUDIT if allowed else _AUDIT_DENIED)
    assert policies.calls == [(caller.claims, _TOUCHED)]


async def test_hook_hears_of_an_anonymous_caller_as_no_claims(fed: Federation) -> None:
    body = await execute(fed.supergraph, "{ audit { action } }")
    assert body == _AUDIT_DENIED
    assert policies.calls == [(None, _TOUCHED)]


async def test_hook_is_called_once_per_request(fed: Federation) -> None:
    query = "{ a: audit { action } b: audit { action } }"
    body = await execute(fed.supergraph, query, signed_in(policies=["auditor"]))
    assert body == {"data": {"a": [{"action": "signed in"}], "b": [{"action": "signed in"}]}}
    assert len(policies.calls) == 1


@pytest.mark.parametrize("query", ["{ version }", "{ people { name email } me { name } }"])
async def test_hook_is_not_called_without_a_policy_to_decide(fed: Federation, query: str) -> None:
    await execute(fed.supergraph, query, signed_in(policies=["auditor"]))
    assert policies.calls == []


async def test_policy_missing_from_the_answer_is_denied(fed: Federation) -> None:
    # The hook grants admin and says nothing of security: the admin+security group fails.
    caller = signed_in(policies=["admin", "security"])
    body = await execute(
        fed.supergraph, "{ audit { action } }", caller, policy_hook=f"{_HOOKS}:forgetful"
    )
    assert body == _AUDIT_DENIED


async def test_answers_other_than_true_are_denials(fed: Federation) -> None:
    caller = signed_in(policies=["auditor"])
    body = await execute(
        fed.supergraph, "{ audit { action } }", caller, policy_hook=f"{_HOOKS}:vague"
    )
    assert body == _AUDIT_DENIED


async def test_failing_hook_denies_every_policy_and_is_logged(
    fed: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caller = signed_in(policies=["auditor"])
    with caplog.at_level(logging.ERROR, logger="gateway.authorization"):
        body = await execute(
            fed.supergraph, "{ version audit { action } }", caller, policy_hook=f"{_HOOKS}:broken"
        )
    assert body == {"errors": [denied("audit")], "data": {"version": "1.0", "audit": None}}
    (record,) = caplog.records
    assert "GATEWAY_POLICY_HOOK" in record.getMessage()
    assert record.exc_info is not None and "policy store unreachable" in str(record.exc_info[1])


def test_a_supergraph_using_policy_needs_the_hook() -> None:
    with pytest.raises(SupergraphError, match="GATEWAY_POLICY_HOOK"):
        Gateway(load_topic(TOPIC).supergraph, GatewaySettings())


@pytest.mark.parametrize(
    ("hook", "complaint"),
    [
        ("tests.gateway.fixtures.authorization.nowhere:decide", "cannot import"),
        (f"{_HOOKS}:nothing_of_that_name", "cannot import"),
        (f"{_HOOKS}:NOT_CALLABLE", "is not callable"),
    ],
)
def test_a_hook_that_cannot_be_loaded_stops_the_start(hook: str, complaint: str) -> None:
    with pytest.raises(SupergraphError, match=f"GATEWAY_POLICY_HOOK: .*{complaint}"):
        Gateway(load_topic(TOPIC).supergraph, GatewaySettings(policy_hook=hook))


def test_the_hook_setting_must_name_a_callable_in_a_module() -> None:
    with pytest.raises(SystemExit, match="GATEWAY_POLICY_HOOK"):
        load_settings(policy_hook="policies.decide")
