"""Privacy between platforms, on the launched platform with real code flows: each platform
sees its own pairwise `sub`; the personal identity code reaches a platform only inside the
identity category the citizen ticked (userinfo, ID token, `personalId` through the gateway),
each time logged; and the access token a platform holds does not name the citizen, while the
gateway, which opens it, still answers and logs whose data it disclosed."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from datetime import date

import httpx
import pytest

from tests.auth.support import decode_header, decode_unverified
from tests.trust_chain.people import People, find_people
from tests.trust_chain.platform import HOUSING_REDIRECT, HOUSING_SECRET, Platform
from tests.trust_chain.test_disclosure_log import _records, _traced

pytestmark = pytest.mark.slow

HOUSING = ("housing", HOUSING_SECRET, HOUSING_REDIRECT)


@pytest.fixture(scope="module")
def people(platform: Platform) -> People:
    return find_people(platform.data_dir, date.today())


def _userinfo(platform: Platform, access_token: str) -> dict[str, str]:
    answer = httpx.get(
        f"{platform.auth}/userinfo", headers={"authorization": f"Bearer {access_token}"}
    )
    assert answer.status_code == 200, answer.text
    info: dict[str, str] = answer.json()
    return info


def _identity_records(platform: Platform, personal_id: str, client_id: str) -> list[str]:
    """The fields of the identity claims `client_id` was told about `personal_id`."""
    connection = sqlite3.connect(f"file:{platform.data_dir / 'auth.sqlite3'}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT fields FROM access_log WHERE principal = ? AND client_id = ? "
            "AND trace_id IS NULL ORDER BY seq",
            (personal_id, client_id),
        ).fetchall()
    finally:
        connection.close()
    return [field for (fields,) in rows for field in json.loads(fields)]


def test_two_platforms_see_different_subjects_for_one_citizen(
    platform: Platform, people: People
) -> None:
    bank = platform.platform_tokens(people.spouse, [], [])
    again = platform.platform_tokens(people.spouse, [], [])
    housing = platform.platform_tokens(people.spouse, [], [], client=HOUSING)
    bank_sub = decode_unverified(bank["id_token"])["sub"]
    housing_sub = decode_unverified(housing["id_token"])["sub"]
    assert bank_sub != housing_sub
    assert people.spouse not in (bank_sub, housing_sub)
    # The same platform sees the same subject at every sign-in, everywhere it is told one.
    assert decode_unverified(again["id_token"])["sub"] == bank_sub
    assert _userinfo(platform, bank["access_token"])["sub"] == bank_sub
    assert _userinfo(platform, housing["access_token"])["sub"] == housing_sub
    introspected = httpx.post(
        f"{platform.auth}/introspect",
        data={"token": housing["access_token"]},
        auth=HOUSING[:2],
    ).json()
    assert introspected["active"] is True and introspected["sub"] == housing_sub
    # Another citizen at the same platform: another subject.
    other = platform.platform_tokens(people.stranger, [], [])
    assert decode_unverified(other["id_token"])["sub"] not in (bank_sub, people.stranger)


def test_the_citizen_s_own_app_keeps_the_public_subject(platform: Platform, people: People) -> None:
    token = platform.own_token(people.parent)
    claims = decode_unverified(token)
    assert token.count(".") == 2 and claims["sub"] == people.parent
    me = platform.graphql("{ me { personalId } }", token)
    assert me == {"data": {"me": {"personalId": people.parent}}}


def test_the_personal_id_only_inside_the_identity_category(
    platform: Platform, people: People
) -> None:
    # The citizen ticks identity and income: the bank sees the personal id and the read
    # of it is logged, at the userinfo endpoint, in the ID token and through the gateway.
    citizen = people.parent
    ticked = platform.platform_tokens(citizen, ["identity", "income"], ["identity", "income"])
    id_token = decode_unverified(ticked["id_token"])
    assert id_token["personal_id"] == citizen and id_token["sub"] != citizen
    info = _userinfo(platform, ticked["access_token"])
    assert info["personal_id"] == citizen and info["given_name"]
    logged = _identity_records(platform, citizen, "bank")
    assert "id_token.personal_id" in logged and "userinfo.personal_id" in logged

    trace, response = _traced(platform, "{ me { personalId } }", ticked["access_token"])
    assert response.json() == {"data": {"me": {"personalId": citizen}}}, response.text
    [record] = _records(platform, trace)
    assert record["principal"] == citizen and record["client_id"] == "bank"
    assert record["categories"] == ["identity"] and record["fields"] == ["personalId"]

    # Income only: no personal id anywhere, and the income is still readable.
    income_only = platform.platform_tokens(citizen, ["identity", "income"], ["income"])
    assert "personal_id" not in decode_unverified(income_only["id_token"])
    info = _userinfo(platform, income_only["access_token"])
    assert set(info) == {"sub"} and info["sub"] == id_token["sub"]
    refused = platform.graphql("{ me { personalId } }", income_only["access_token"])
    assert refused["data"] == {"me": None}
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"UNAUTHORIZED_FIELD_OR_TYPE"}
    assert citizen not in str(refused)
    income = platform.graphql("{ me { income { total } } }", income_only["access_token"])
    assert "errors" not in income and income["data"]["me"] is not None


def _segments(token: str) -> list[bytes]:
    decoded = []
    for part in token.split("."):
        try:
            decoded.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except binascii.Error:
            decoded.append(part.encode())
    return decoded


def test_the_platform_cannot_read_the_citizen_out_of_its_access_token(
    platform: Platform, people: People
) -> None:
    citizen = people.parent
    body = platform.platform_tokens(citizen, ["income"], ["income"])
    token = body["access_token"]
    # A compact JWE: whatever the platform decodes, the personal id is not there in clear.
    assert token.count(".") == 4
    assert citizen not in token and all(citizen.encode() not in s for s in _segments(token))
    assert set(decode_header(token)) == {"alg", "enc", "cty", "kid", "epk"}
    with pytest.raises(ValueError):
        decode_unverified(token)  # its second part is no JSON claims set

    # The gateway opens it, answers, and the access log names the citizen.
    trace, response = _traced(platform, "{ me { income { total } } }", token)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    [record] = _records(platform, trace)
    assert record["principal"] == citizen and record["categories"] == ["income"]
    assert platform.gateway_claims(token)["sub"] == citizen
