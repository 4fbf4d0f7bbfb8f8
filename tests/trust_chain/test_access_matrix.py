"""Who reads what, end to end: real tokens from the auth server, the real gateway, the real
agency subgraphs, over HTTP. The rule (docs/security.md) is written down once, as a table of
callers; every cell of every query is checked against it.

    A person's data is readable by that person; by a guardian while the person is a minor in
    their care; by a delegate within an active mandate's themes; by a platform within an
    active consent's categories. Reached through a family relationship, another person shows
    name and date of birth; every other field of theirs is FORBIDDEN unless the caller may read
    that person. Categories the token lacks are UNAUTHORIZED_FIELD_OR_TYPE (the gateway never
    asks for them).

Expected values are never written here: a readable cell must equal what the person sees of
themselves on their own token, and a refused cell must be null with the refusal's error at
its path. Any other value, or any error the table does not expect, fails the test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.trust_chain.people import People, find_people
from tests.trust_chain.platform import CATEGORIES, Platform

pytestmark = pytest.mark.slow

ALL = frozenset(CATEGORIES)
NOTHING: frozenset[str] = frozenset()

# One field of every category: (selection, response key, non-null?). A refused non-null
# field nulls the citizen it belongs to (GraphQL null propagation); the error stays at it.
FIELDS: dict[str, tuple[str, str, bool]] = {
    "identity": ("name { given family }", "name", False),
    "address": ("address { street city }", "address", False),
    "family": ("family { parents { personalId } }", "family", False),
    "income": ("income { year total }", "income", False),
    "tax": ("taxDecisions { year kind amount }", "taxDecisions", True),
    "benefits": ("benefits { kind status }", "benefits", True),
    "vehicles": ("vehicles { registration }", "vehicles", True),
    "business": ("companies { role }", "companies", True),
}
UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
FORBIDDEN = "FORBIDDEN"


@dataclass(frozen=True)
class Caller:
    """One row of the table: a token, whose data it is about (`me`), whom it may read and in
    which categories."""

    name: str
    token: str | None
    subject: str | None
    reads: frozenset[str]
    categories: frozenset[str]


@dataclass(frozen=True)
class World:
    people: People
    callers: dict[str, Caller]
    # What each person sees of themselves on their own token: the readable cells' values.
    own_view: dict[str, dict[str, Any]]
    # Tokens the gateway must refuse outright, and why.
    refused: dict[str, tuple[str, str]]

    def view_of(self, platform: Platform, personal_id: str) -> dict[str, Any]:
        if personal_id not in self.own_view:
            token = platform.own_token(personal_id)
            self.own_view[personal_id] = _own_view(platform, token, personal_id)
        return self.own_view[personal_id]


def _citizen_query(targets: dict[str, str], with_id: bool = True) -> str:
    """One document, one aliased root field per (target, category): a refusal in one cell
    cannot null another (each root field is nullable). `personalId` is identity data: asked
    for only `with_id` (a caller without identity would have every cell nulled by it)."""
    parts = []
    identifier = "personalId " if with_id else ""
    for alias, target in targets.items():
        for category, (selection, _, _) in FIELDS.items():
            parts.append(f'{alias}_{category}: citizen(personalId: "{target}") ')
            parts.append(f"{{ {identifier}{selection} }}\n")
    return "{\n" + "".join(parts) + "}"


def _own_view(platform: Platform, token: str, personal_id: str) -> dict[str, Any]:
    body = platform.graphql(_citizen_query({"self": personal_id}), token)
    assert "errors" not in body, body
    view = {c: body["data"][f"self_{c}"][FIELDS[c][1]] for c in FIELDS}
    return view


@pytest.fixture(scope="module")
def world(platform: Platform) -> World:
    people = find_people(platform.data_dir, date.today())
    p = people
    everyone = (p.parent, p.spouse, p.minor, p.grown_parent, p.grown_child, p.stranger)
    own = {person: platform.own_token(person) for person in everyone}
    own_view = {person: _own_view(platform, token, person) for person, token in own.items()}
    # The parent's own view is the richest row of the table: it must hold real data.
    assert own_view[p.parent]["identity"] and own_view[p.parent]["address"], own_view[p.parent]

    guardian = platform.delegated_token(own[p.parent], p.minor)
    platform.mandate(own[p.parent], p.stranger, own[p.stranger], ["income", "tax"])
    delegate = platform.delegated_token(own[p.stranger], p.parent)
    full, _ = platform.platform_token(p.parent, list(CATEGORIES), list(CATEGORIES))
    partial, _ = platform.platform_token(p.parent, list(CATEGORIES), ["identity", "income"])
    sign_in_only, _ = platform.platform_token(p.parent, [], [])

    reads, only = p.own_reads, frozenset
    money, named = only({"income", "tax"}), only({"identity", "income"})
    parent, stranger = p.parent, p.stranger
    callers = [
        # who                          token          subject      may read            categories
        Caller("anonymous",            None,          None,        NOTHING,            NOTHING),
        Caller("the citizen",          own[parent],   parent,      reads(parent),      ALL),
        Caller("another citizen",      own[stranger], stranger,    reads(stranger),    ALL),
        Caller("the spouse",           own[p.spouse], p.spouse,    reads(p.spouse),    ALL),
        Caller("guardian, for the minor", guardian,   p.minor,     only({p.minor}),    ALL),
        Caller("guardian of a grown child",
                                       own[p.grown_parent], p.grown_parent,
                                                                   reads(p.grown_parent), ALL),
        Caller("delegate (income, tax)", delegate,    parent,      only({parent}),     money),
        Caller("platform, full consent", full,        parent,      only({parent}),     ALL),
        Caller("platform, partial consent", partial,  parent,      only({parent}),     named),
        Caller("platform, sign-in only", sign_in_only, parent,     only({parent}),     NOTHING),
    ]  # fmt: skip
    refused = _refused_tokens(platform, people, own)
    return World(people, {c.name: c for c in callers}, own_view, refused)


def _refused_tokens(
    platform: Platform, p: People, own: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """Callers whose authority has ended: each token must be refused (401) from then on."""
    short_consent, _ = platform.platform_token(p.parent, ["income"], ["income"], expires_in=3)
    revoked_consent, consent_id = platform.platform_token(p.parent, ["income"], ["income"])
    short_mandate = platform.mandate(
        own[p.parent], p.grown_parent, own[p.grown_parent], ["income"], valid_for=3
    )
    expiring_delegate = platform.delegated_token(own[p.grown_parent], p.parent)
    revocable = platform.mandate(own[p.parent], p.spouse, own[p.spouse], ["income"])
    revoked_delegate = platform.delegated_token(own[p.spouse], p.parent)
    for token in (short_consent, revoked_consent, expiring_delegate, revoked_delegate):
        # Income is what each may read (the personal id would need identity).
        answer = platform.graphql("{ me { income { year } } }", token)
        assert "errors" not in answer and answer["data"]["me"] is not None, (
            "each works before its authority ends"
        )
    revoked = platform.graphql(
        "mutation($id: ID!) { revokeConsent(id: $id) { status } }", own[p.parent], id=consent_id
    )
    assert revoked["data"]["revokeConsent"]["status"] == "REVOKED", revoked
    ended = platform.graphql(
        "mutation($id: ID!) { revokeMandate(id: $id) { status } }", own[p.parent], id=revocable
    )
    assert ended["data"]["revokeMandate"]["status"] == "REVOKED", ended
    time.sleep(4)  # the short consent and mandate run out
    assert short_mandate
    return {
        "platform, expired consent": (short_consent, "the token has expired"),
        "platform, revoked consent": (revoked_consent, "the token has been revoked"),
        "delegate, mandate expired": (expiring_delegate, "the token has expired"),
        "delegate, mandate revoked": (revoked_delegate, "the token has been revoked"),
        "garbage": ("not.a.token", "not base64url-encoded JSON"),
    }


def _errors_by_path(body: dict[str, Any]) -> dict[tuple[str | int, ...], str]:
    found = {}
    for error in body.get("errors", []):
        path = tuple(error.get("path") or ())
        code = error.get("extensions", {}).get("code")
        assert path not in found or found[path] == code, f"two errors at {path}: {body}"
        found[path] = code
    return found


def _check_cell(
    body: dict[str, Any],
    errors: dict[tuple[str | int, ...], str],
    alias: str,
    target: str,
    category: str,
    caller: Caller,
    world: World,
) -> set[tuple[str | int, ...]]:
    """Assert one cell; return the error paths it accounts for."""
    _, key, non_null = FIELDS[category]
    value = body["data"][alias]
    where = f"{caller.name} reading {category} of {target}"
    if caller.subject is None:
        # `citizen` needs a signed-in caller (@authenticated): refused before any fetch.
        assert value is None and errors.get((alias,)) == UNAUTHORIZED, (where, body)
        return {(alias,)}
    if target not in caller.reads:
        assert value is None and errors.get((alias,)) == FORBIDDEN, (where, body)
        return {(alias,)}
    who = {"personalId": target} if "identity" in caller.categories else {}
    if category not in caller.categories:
        assert errors.get((alias, key)) == UNAUTHORIZED, (where, body)
        assert value == (None if non_null else {**who, key: None}), (where, value)
        return {(alias, key)}
    assert value == {**who, key: world.own_view[target][category]}, (where, value)
    return set()


CALLERS = [
    "anonymous",
    "the citizen",
    "another citizen",
    "the spouse",
    "guardian, for the minor",
    "guardian of a grown child",
    "delegate (income, tax)",
    "platform, full consent",
    "platform, partial consent",
    "platform, sign-in only",
]


@pytest.mark.parametrize("name", CALLERS)
def test_each_caller_reads_exactly_whom_and_what_the_rule_allows(
    platform: Platform, world: World, name: str
) -> None:
    caller = world.callers[name]
    p = world.people
    targets = {
        "parent": p.parent,
        "spouse": p.spouse,
        "minor": p.minor,
        "grown": p.grown_child,
        "stranger": p.stranger,
    }
    body = platform.graphql(
        _citizen_query(targets, with_id="identity" in caller.categories), caller.token
    )
    errors = _errors_by_path(body)
    expected: set[tuple[str | int, ...]] = set()
    for alias, target in targets.items():
        for category in FIELDS:
            expected |= _check_cell(
                body, errors, f"{alias}_{category}", target, category, caller, world
            )
    assert set(errors) == expected, f"unexpected errors: {set(errors) - expected}"


@pytest.mark.parametrize("name", CALLERS)
def test_me_is_the_data_subject(platform: Platform, world: World, name: str) -> None:
    caller = world.callers[name]
    body = platform.graphql("{ me { personalId } }", caller.token)
    if caller.subject is None:
        assert body["data"]["me"] is None
        assert _errors_by_path(body) == {("me",): UNAUTHORIZED}
    elif "identity" not in caller.categories:
        # The personal identity code is identity data; being non-null, its refusal nulls `me`.
        assert body["data"]["me"] is None
        assert _errors_by_path(body) == {("me", "personalId"): UNAUTHORIZED}
    else:
        assert body == {"data": {"me": {"personalId": caller.subject}}}


RELATIVES = """{
  me {
    personalId
    family {
      spouse { personalId name { given } dateOfBirth }
      children { personalId name { given } dateOfBirth }
    }
  }
}"""


@pytest.mark.parametrize(
    "name", ["the citizen", "platform, full consent", "platform, partial consent"]
)
def test_a_relationship_discloses_name_and_date_of_birth_and_nothing_else(
    platform: Platform, world: World, name: str
) -> None:
    """Family members' names and birth dates come with the family category of the person
    the token reads; their other fields follow the rule for each of them."""
    caller = world.callers[name]
    p = world.people
    body = platform.graphql(RELATIVES, caller.token)
    if "family" not in caller.categories:
        assert body["data"]["me"] == {"personalId": p.parent, "family": None}
        assert _errors_by_path(body) == {("me", "family"): UNAUTHORIZED}
        return
    assert "errors" not in body, body
    family = body["data"]["me"]["family"]
    spouse = family["spouse"]
    assert spouse["personalId"] == p.spouse
    assert (
        spouse["name"] and spouse["name"]["given"] == world.own_view[p.spouse]["identity"]["given"]
    )
    children = {child["personalId"]: child for child in family["children"]}
    assert p.minor in children and children[p.minor]["name"]

    for category in ("income", "address", "vehicles", "benefits"):
        selection, key, non_null = FIELDS[category]
        query = (
            "{ me { family { spouse { personalId " + selection + " } "
            "children { personalId name { given } } } } }"
        )
        body = platform.graphql(query, caller.token)
        errors = _errors_by_path(body)
        spouse = body["data"]["me"]["family"]["spouse"]
        where = f"{name}: the spouse's {category}"
        if category not in caller.categories:
            assert errors == {("me", "family", "spouse", key): UNAUTHORIZED}, (where, body)
        else:
            # The spouse is never readable here: not the subject, not a minor in care.
            assert errors == {("me", "family", "spouse", key): FORBIDDEN}, (where, body)
        assert spouse == (None if non_null else {"personalId": p.spouse, key: None}), where


@pytest.mark.parametrize("name", ["the citizen", "guardian of a grown child"])
def test_a_guardian_reads_minor_children_through_the_family_but_not_grown_ones(
    platform: Platform, world: World, name: str
) -> None:
    caller = world.callers[name]
    income, address = FIELDS["income"][0], FIELDS["address"][0]
    query = "{ me { family { children { personalId " + income + " " + address + " } } } }"
    body = platform.graphql(query, caller.token)
    errors = _errors_by_path(body)
    refused = set()
    children = body["data"]["me"]["family"]["children"]
    for index, child in enumerate(children):
        child_id = child["personalId"]
        if child_id in caller.reads:
            view = world.view_of(platform, child_id)
            assert (child["income"], child["address"]) == (view["income"], view["address"])
        else:
            assert child["income"] is None and child["address"] is None, (name, child)
            refused |= {("me", "family", "children", index, key) for key in ("income", "address")}
    assert errors == dict.fromkeys(refused, FORBIDDEN), (name, body)
    listed = {child["personalId"] for child in children}
    p = world.people
    assert (p.minor in listed) if name == "the citizen" else (p.grown_child in listed)


def test_a_guardianship_that_ended_at_18_cannot_be_exchanged(
    platform: Platform, world: World
) -> None:
    p = world.people
    grown_parent = world.callers["guardian of a grown child"].token
    assert grown_parent is not None
    answer = platform.exchange(grown_parent, p.grown_child)
    assert answer.status_code == 400
    assert "turned 18" in answer.json()["error_description"]


@pytest.mark.parametrize(
    "name",
    [
        "platform, expired consent",
        "platform, revoked consent",
        "delegate, mandate expired",
        "delegate, mandate revoked",
        "garbage",
    ],
)
def test_tokens_whose_authority_ended_are_refused_with_401(
    platform: Platform, world: World, name: str
) -> None:
    token, reason = world.refused[name]
    response = platform.post("{ me { personalId income { total } } }", token)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    body = response.json()
    assert "data" not in body
    assert reason in body["errors"][0]["message"]


def test_anonymous_callers_see_the_public_fields(platform: Platform) -> None:
    body = platform.graphql("{ lifeEventCatalogue }")
    assert "errors" not in body, body
    assert "BIRTH_OF_CHILD" in body["data"]["lifeEventCatalogue"]


GRANT = (
    "mutation($d: ID!, $u: DateTime!) "
    "{ grantMandate(delegate: $d, themes: [TAX], validUntil: $u) { principalId status } }"
)
REVOKE_CONSENT = "mutation($id: ID!) { revokeConsent(id: $id) { status } }"
# Whose own token this is: they may manage their own account, and nobody else may.
OWN_TOKENS = {"the citizen", "another citizen", "the spouse", "guardian of a grown child"}


@pytest.mark.parametrize("name", CALLERS)
def test_only_the_citizens_own_app_gives_mandates_or_withdraws_consents(
    platform: Platform, world: World, name: str
) -> None:
    caller = world.callers[name]
    until = datetime.fromtimestamp(time.time() + 3600, UTC).isoformat()
    granted = platform.graphql(GRANT, caller.token, d=world.people.grown_child, u=until)
    if name in OWN_TOKENS:
        assert granted == {
            "data": {"grantMandate": {"principalId": caller.subject, "status": "PENDING"}}
        }
    else:
        # Refused by the gateway (@policy citizen:self, @requiresScopes account:manage), as
        # are accepting and ending one: no mandate is ever looked up for them.
        assert granted["data"] is None
        assert _errors_by_path(granted) == {("grantMandate",): UNAUTHORIZED}, granted
        for mutation in ("acceptMandate", "revokeMandate"):
            answer = platform.graphql(
                f'mutation {{ {mutation}(id: "mnd-any") {{ status }} }}', caller.token
            )
            assert _errors_by_path(answer) == {(mutation,): UNAUTHORIZED}, answer

    # Another platform's consent of the parent: only the parent's own app may withdraw it.
    other, consent_id = platform.platform_token(world.people.parent, ["address"], ["address"])
    answer = platform.graphql(REVOKE_CONSENT, caller.token, id=consent_id)
    if name == "the citizen":
        assert answer == {"data": {"revokeConsent": {"status": "REVOKED"}}}
        return
    assert answer["data"] is None, answer
    platforms = ("platform, full consent", "platform, partial consent")
    expected = FORBIDDEN if name in OWN_TOKENS or name in platforms else UNAUTHORIZED
    assert _errors_by_path(answer) == {("revokeConsent",): expected}, answer
    assert platform.graphql("{ me { address { city } } }", other)["data"]["me"]["address"]
