"""Rate limits (fixtures/operations, a test issuer, the real Redis): per client address, checked
before the token so forged tokens are limited too; per OAuth client, with the quota of its
registration; 429 with Retry-After, after which the sliding window admits again; replicas
sharing Redis count in one window, and each counts its own when Redis is out of reach."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from starlette.datastructures import Address, Headers

from gateway.errors import ConfigurationError
from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings, check_settings
from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer
from tests.gateway.kit.replica import gateway_replica

TOPIC = "operations"
QUERY = '{ item(id: "1") { name } }'
DATA = {"item": {"name": "apple"}}
REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = f"test:ratelimit:{secrets.token_hex(4)}:"
PER_ADDRESS = 5
PER_CLIENT = 2
PORTAL_QUOTA = 3

pytestmark = pytest.mark.skipif(REFERENCE, reason="rate limits are this gateway's own")


def _settings(issuer: TestIssuer, **changes: Any) -> dict[str, Any]:
    return {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{issuer.url}/revocations",
        "rate_limit_per_ip": PER_ADDRESS,
        "rate_limit_per_client": PER_CLIENT,
        "rate_limit_clients": {"portal": PORTAL_QUOTA},
        # The tests stand for the proxy: each test's requests come from addresses of its own.
        "trusted_proxies": 1,
        "ratelimit_redis_url": REDIS_URL,
        "ratelimit_redis_prefix": PREFIX,
        **changes,
    }


@pytest.fixture(scope="module")
def federation(issuer: TestIssuer) -> Iterator[Federation]:
    with start_federation(load_topic(TOPIC), _settings(issuer)) as fed:
        yield fed

    async def forget() -> None:
        client = redis.Redis.from_url(REDIS_URL)
        async for key in client.scan_iter(match=PREFIX + "*"):
            await client.delete(key)
        await client.aclose()

    asyncio.run(forget())


def _address() -> str:
    """X-Forwarded-For as the trusted proxy leaves it: whatever the client wrote (the same
    for every test, so counting it would mix tests up), then the address of its own the
    proxy saw (a /64 per call)."""
    return f"198.51.100.7, 2001:db8:{secrets.randbits(16):x}:{secrets.randbits(16):x}::1"


async def _ask(
    gw: GatewayClient, address: str, token: str | None = None
) -> tuple[int, httpx.Response]:
    headers = {"x-forwarded-for": address}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    response = await gw.request("POST", json={"query": QUERY}, headers=headers)
    return response.status_code, response


async def _statuses(
    gw: GatewayClient, address: str, count: int, token: str | None = None
) -> list[int]:
    return [(await _ask(gw, address, token))[0] for _ in range(count)]


def _assert_limited(response: httpx.Response, window: float = 60) -> int:
    assert response.status_code == 429
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED"}
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 2 * window
    assert f"Try again in {retry_after} s." in error["message"]
    return retry_after


async def test_an_address_over_its_limit_gets_429_with_retry_after(gw: GatewayClient) -> None:
    address = f"203.0.113.{secrets.randbelow(250) + 1}"
    assert await _statuses(gw, address, PER_ADDRESS) == [200] * PER_ADDRESS
    response = (await _ask(gw, address))[1]
    _assert_limited(response)
    assert "from this address" in response.json()["errors"][0]["message"]
    # Another address is counted apart.
    assert (await _ask(gw, f"192.0.2.{secrets.randbelow(250) + 1}"))[0] == 200


async def test_the_address_limit_comes_before_the_token_so_forged_tokens_are_limited(
    gw: GatewayClient,
) -> None:
    address = _address()
    assert await _statuses(gw, address, PER_ADDRESS, "forged") == [401] * PER_ADDRESS
    _assert_limited((await _ask(gw, address, "forged"))[1])


async def test_a_client_over_the_default_quota_gets_429(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    client_id = f"bank-{secrets.token_hex(4)}"
    token = issuer.mint(client_id=client_id)
    address = _address()
    assert await _statuses(gw, address, PER_CLIENT, token) == [200] * PER_CLIENT
    response = (await _ask(gw, address, token))[1]
    _assert_limited(response)
    assert client_id in response.json()["errors"][0]["message"]
    # The quota is the client's: another client, from the same address, still gets in.
    other = issuer.mint(client_id=f"bank-{secrets.token_hex(4)}")
    assert (await _ask(gw, address, other))[0] == 200


async def test_a_registered_client_gets_the_quota_of_its_registration(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    token = issuer.mint(client_id="portal")
    address = _address()
    assert await _statuses(gw, address, PORTAL_QUOTA, token) == [200] * PORTAL_QUOTA
    _assert_limited((await _ask(gw, address, token))[1])


async def test_anonymous_callers_have_no_client_quota(gw: GatewayClient) -> None:
    assert await _statuses(gw, _address(), PER_ADDRESS) == [200] * PER_ADDRESS


async def test_replicas_sharing_redis_count_in_one_window(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer
) -> None:
    address = _address()
    with gateway_replica(fed, _settings(issuer)) as other:
        assert await _statuses(gw, address, 3) == [200] * 3
        assert await _statuses(other, address, PER_ADDRESS - 3) == [200] * (PER_ADDRESS - 3)
        _assert_limited((await _ask(other, address))[1])
        _assert_limited((await _ask(gw, address))[1])


@pytest.mark.parametrize("shared", [True, False], ids=["in Redis", "in process"])
async def test_the_window_slides_admitting_again_after_retry_after(
    fed: Federation, issuer: TestIssuer, shared: bool
) -> None:
    window = 2.0
    settings = _settings(issuer, rate_limit_window=window, rate_limit_per_ip=2)
    if not shared:
        del settings["ratelimit_redis_url"]
    address = _address()
    with gateway_replica(fed, settings) as gw:
        assert await _statuses(gw, address, 2) == [200, 200]
        retry_after = _assert_limited((await _ask(gw, address))[1], window)
        await asyncio.sleep(retry_after)
        status, response = await _ask(gw, address)
        assert (status, response.json()) == (200, {"data": DATA})


async def test_x_forwarded_for_counts_only_behind_trusted_proxies(
    fed: Federation, issuer: TestIssuer
) -> None:
    settings = _settings(issuer, trusted_proxies=0, rate_limit_per_ip=2)
    del settings["ratelimit_redis_url"]
    with gateway_replica(fed, settings) as gw:
        # A client naming a new address each time is still the connection it comes from.
        assert [(await _ask(gw, _address()))[0] for _ in range(2)] == [200, 200]
        _assert_limited((await _ask(gw, _address()))[1])


async def test_with_redis_unreachable_each_replica_counts_its_own_window(
    fed: Federation, issuer: TestIssuer
) -> None:
    settings = _settings(issuer, ratelimit_redis_url="redis://127.0.0.1:1/0", rate_limit_per_ip=2)
    address = _address()
    with gateway_replica(fed, settings) as gw:
        assert await _statuses(gw, address, 2) == [200, 200]
        _assert_limited((await _ask(gw, address))[1])


def test_the_client_address_is_the_entry_the_trusted_proxies_vouch_for() -> None:
    limiter = RateLimiter(GatewaySettings(rate_limit_per_ip=1, trusted_proxies=2))
    peer = Address("10.0.0.2", 40000)
    # client -> proxy 10.0.0.1 -> proxy 10.0.0.2 -> gateway; whatever the client wrote first.
    forwarded = Headers({"x-forwarded-for": "1.2.3.4, 203.0.113.7, 10.0.0.1"})
    assert limiter.client_address(peer, forwarded) == "203.0.113.7"
    # Fewer entries than proxies: it did not come through them all, the connection counts.
    assert limiter.client_address(peer, Headers({"x-forwarded-for": "1.2.3.4"})) == "10.0.0.2"
    assert limiter.client_address(peer, Headers()) == "10.0.0.2"


async def test_ipv6_addresses_are_limited_per_64_block() -> None:
    limiter = RateLimiter(GatewaySettings(rate_limit_per_ip=1))
    assert await limiter.check_address(Address("2001:db8::1", 1), Headers()) is None
    assert await limiter.check_address(Address("2001:db8::ffff:2", 1), Headers()) is not None
    assert await limiter.check_address(Address("2001:db8:0:1::1", 1), Headers()) is None


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"ratelimit_redis_url": REDIS_URL}, "GATEWAY_RATELIMIT_REDIS_URL"),
        ({"rate_limit_clients": {"portal": 0}}, "GATEWAY_RATE_LIMIT_CLIENTS"),
    ],
)
def test_settings_that_cannot_be_honoured_stop_the_start(
    settings: dict[str, Any], variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable}:"):
        check_settings(GatewaySettings(**settings))
