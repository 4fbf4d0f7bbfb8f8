"""Revocation reaches every gateway replica on the next request: a second gateway process,
fed by Redis only, refuses a token the moment it is revoked through the first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from tests.trust_chain.people import find_people
from tests.trust_chain.platform import BANK_SECRET, Platform, another_gateway

pytestmark = pytest.mark.slow

INCOME = "{ me { personalId income { total } } }"


@pytest.fixture(scope="module")
def second_gateway(platform: Platform) -> Iterator[str]:
    """Another replica: same supergraph, issuer and identity key, revocations from Redis only."""
    with another_gateway(platform, drop=("GATEWAY_REVOCATION_POLL_URL",)) as url:
        yield url


def _status_on(url: str, token: str) -> int:
    return httpx.post(
        url, json={"query": INCOME}, headers={"authorization": f"Bearer {token}"}, timeout=10
    ).status_code


def _refused_within(url: str, token: str, seconds: float) -> float:
    started = time.monotonic()
    while _status_on(url, token) != 401:
        assert time.monotonic() - started < seconds, f"still accepted after {seconds}s"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_consent_revoked_through_one_replica_stops_at_the_other(
    platform: Platform, second_gateway: str
) -> None:
    parent = find_people(platform.data_dir, date.today()).parent
    own = platform.own_token(parent)
    token, consent_id = platform.platform_token(parent, ["income"], ["income"])
    assert _status_on(platform.gateway, token) == 200
    assert _status_on(second_gateway, token) == 200
    revoked = platform.graphql(
        "mutation($id: ID!) { revokeConsent(id: $id) { status } }", own, id=consent_id
    )
    assert revoked["data"]["revokeConsent"]["status"] == "REVOKED", revoked
    # Redis delivers it in milliseconds; a second bounds scheduling noise on a busy machine.
    assert _refused_within(second_gateway, token, 1.0) < 1.0
    assert _status_on(platform.gateway, token) == 401


def test_a_token_the_platform_revokes_stops_at_both_replicas(
    platform: Platform, second_gateway: str
) -> None:
    parent = find_people(platform.data_dir, date.today()).parent
    token, _ = platform.platform_token(parent, ["income"], ["income"])
    assert _status_on(second_gateway, token) == 200
    answer = httpx.post(
        f"{platform.auth}/revoke", data={"token": token}, auth=("bank", BANK_SECRET), timeout=10
    )
    assert answer.status_code == 200
    _refused_within(second_gateway, token, 1.0)
    _refused_within(platform.gateway, token, 2.0)
