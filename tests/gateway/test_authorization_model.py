"""Authorization, the model: requirements read from the supergraph onto fields and every kind of
type, under whatever names its @link gives them; security specs of unknown versions stopping
the start; the stage skipped when nothing needs it; denials surviving field merging."""

from pathlib import Path

import pytest

from gateway.api_schema import build_api_schema
from gateway.errors import SupergraphError
from gateway.pipeline import Gateway
from gateway.selection import Field, SelectionSet
from gateway.settings import GatewaySettings
from gateway.supergraph import AUTHENTICATED, Requirement, parse_supergraph
from tests.gateway.fixtures.authorization.run import HOOK
from tests.gateway.kit.federation import load_topic

_ROOT = Path(__file__).resolve().parents[2]
_SUPERGRAPH = load_topic("authorization").supergraph


def _scopes(*groups: list[str]) -> Requirement:
    return Requirement("requiresScopes", tuple(frozenset(group) for group in groups))


def test_requirements_are_read_on_fields_and_every_kind_of_type() -> None:
    types = parse_supergraph(_SUPERGRAPH).types
    assert types["Person"].fields["email"].requirements == (_scopes(["email:read"], ["admin"]),)
    assert types["Person"].fields["phone"].requirements == (_scopes(["phone:read", "pii"]),)
    assert types["Person"].fields["name"].requirements == ()
    assert types["Query"].fields["me"].requirements == (AUTHENTICATED,)
    assert types["Query"].fields["audit"].requirements == (
        Requirement("policy", (frozenset({"auditor"}), frozenset({"admin", "security"}))),
    )
    assert types["Salary"].requirements == (_scopes(["salary:read"]),)  # object
    assert types["Vehicle"].requirements == (_scopes(["vehicles:read"]),)  # interface
    assert types["TaxId"].requirements == (_scopes(["tax:read"]),)  # scalar
    assert types["Status"].requirements == (AUTHENTICATED,)  # enum
    assert types["Person"].requirements == ()


def test_requirements_of_the_platform_supergraph() -> None:
    supergraph = parse_supergraph((_ROOT / "schema" / "supergraph.graphql").read_text())
    citizen = supergraph.types["Citizen"]
    assert citizen.fields["address"].requirements == (_scopes(["address:read"]),)
    (life_events,) = citizen.fields["lifeEvents"].requirements
    assert len(life_events.groups) == 1 and len(life_events.groups[0]) == 8
    # The personal identity code is identity data, told to a platform only with that category.
    assert citizen.fields["personalId"].requirements == (_scopes(["identity:read"]),)


_RENAMED = (
    _SUPERGRAPH.replace(
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)',
    )
    .replace(
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY,'
        ' import: [{name: "@requiresScopes", as: "@scopes"}])',
    )
    .replace(
        '@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/policy/v0.1", as: "rules", for: SECURITY,'
        ' import: ["@policy"])',
    )
    .replace("@authenticated", "@signedIn")
    .replace("@requiresScopes(", "@scopes(")
    .replace("policy__Policy", "rules__Policy")
)


def test_renamed_directives_are_read_under_their_names_in_the_sdl() -> None:
    supergraph = parse_supergraph(_RENAMED)
    types = supergraph.types
    assert types["Query"].fields["me"].requirements == (AUTHENTICATED,)  # @link(as:)
    assert types["Person"].fields["email"].requirements == (  # import: [{name:, as:}]
        _scopes(["email:read"], ["admin"]),
    )
    assert types["Query"].fields["audit"].requirements[0].directive == "policy"  # import: [name]
    assert dict(supergraph.directive_names) == {
        "link": "link",
        "join": "join",
        "requiresScopes": "scopes",
        "authenticated": "signedIn",
        "policy": "policy",
    }
    # The features' types keep their namespaces; none of it reaches the API schema.
    api_schema = build_api_schema(supergraph)
    assert "requiresScopes__Scope" not in api_schema.type_map
    assert "rules__Policy" not in api_schema.type_map
    assert {d.name for d in api_schema.directives}.isdisjoint({"scopes", "signedIn", "policy"})


@pytest.mark.parametrize("feature", ["authenticated", "requiresScopes", "policy"])
def test_an_unknown_version_of_a_security_spec_stops_the_start(feature: str) -> None:
    sdl = _SUPERGRAPH.replace(
        f"https://specs.apollo.dev/{feature}/v0.1", f"https://specs.apollo.dev/{feature}/v0.2"
    )
    with pytest.raises(SupergraphError, match=f"unsupported version .*/{feature}/v0.2"):
        parse_supergraph(sdl)


def test_requirements_that_are_not_lists_of_lists_stop_the_start() -> None:
    sdl = _SUPERGRAPH.replace(
        '@requiresScopes(scopes: [["stats:read"]])', '@requiresScopes(scopes: ["stats:read"])'
    )
    with pytest.raises(SupergraphError, match=r"Query\.stats: @requiresScopes"):
        parse_supergraph(sdl)


def test_a_supergraph_without_requirements_skips_the_stage() -> None:
    gateway = Gateway((_ROOT / "tests/gateway/fixtures/requires/supergraph.graphql").read_text())
    assert gateway.authorizer is None
    assert gateway.normalised(gateway.prepare("{ products { name } }", None), {}).checks is None


def test_an_operation_touching_no_requirement_needs_no_check() -> None:
    gateway = Gateway(_SUPERGRAPH, GatewaySettings(policy_hook=HOOK))
    prepared = gateway.prepare("{ version people { id name } feed { __typename } }", None)
    assert gateway.normalised(prepared, {}).checks is None
    touching = gateway.normalised(gateway.prepare("{ people { email } }", None), {}).checks
    assert touching is not None
    assert touching.requirements == (_scopes(["email:read"], ["admin"]),)


def test_merged_selections_of_one_field_are_denied_if_one_is() -> None:
    name = Field("name", "name", "", frozenset(), None)
    shown = Field("owner", "owner", "", frozenset(), SelectionSet((name,)))
    hidden = Field("owner", "owner", "", frozenset(), SelectionSet((name,)), denied=True)
    for items in ((shown, hidden), (hidden, shown)):
        (merged,) = SelectionSet(items).collect_fields("Document", {}).values()
        assert merged.denied
