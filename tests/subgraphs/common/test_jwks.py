"""The gateway's key set, fetched over HTTP: cached by kid, refetched for an unknown kid at
most once per 10 s, a failed fetch not cached."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from subgraphs.common.jwks import KeySetCache, KeySetUnavailable, parse_key_set
from tests.subgraphs.gateway_tokens import TestGateway, new_key, serve_gateway


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def own_gateway() -> Iterator[TestGateway]:
    """A gateway of this test's own, whose keys it may rotate and whose fetches it counts."""
    with serve_gateway() as running:
        yield running


async def test_keys_are_fetched_once_and_cached(own_gateway: TestGateway) -> None:
    cache = KeySetCache(own_gateway.jwks_url)
    kid = own_gateway.signing_key.kid
    assert kid is not None
    first = await cache.key(kid)
    assert first is not None and first.as_dict() == own_gateway.signing_key.as_dict(private=False)
    assert await cache.key(kid) is first
    assert own_gateway.fetches == 1


async def test_an_unknown_kid_refetches_at_most_once_per_ten_seconds(
    own_gateway: TestGateway,
) -> None:
    clock = Clock()
    cache = KeySetCache(own_gateway.jwks_url, clock=clock)
    old = own_gateway.signing_key.kid
    assert old is not None and await cache.key(old) is not None
    own_gateway.rotate()
    new = own_gateway.signing_key.kid
    assert new is not None

    clock.now += 9.9
    assert await cache.key(new) is None
    assert own_gateway.fetches == 1

    clock.now += 0.1
    assert await cache.key(new) is not None
    assert own_gateway.fetches == 2
    # The gateway stopped publishing the old key, so it stops verifying.
    assert await cache.key(old) is None
    assert own_gateway.fetches == 2


async def test_requests_arriving_together_share_one_fetch(own_gateway: TestGateway) -> None:
    cache = KeySetCache(own_gateway.jwks_url)
    kid = own_gateway.signing_key.kid
    assert kid is not None
    keys = await asyncio.gather(*(cache.key(kid) for _ in range(5)))
    assert all(key is not None for key in keys)
    assert own_gateway.fetches == 1


async def test_a_failed_fetch_is_not_cached(own_gateway: TestGateway) -> None:
    clock = Clock()
    cache = KeySetCache(own_gateway.jwks_url, clock=clock)
    kid = own_gateway.signing_key.kid
    assert kid is not None
    own_gateway.failing = True
    with pytest.raises(KeySetUnavailable, match="503"):
        await cache.key(kid)
    own_gateway.failing = False
    # No 10 s wait: the failure did not count as a fetch.
    assert await cache.key(kid) is not None
    assert own_gateway.fetches == 2


async def test_an_unreachable_gateway_is_unavailable() -> None:
    with serve_gateway() as gone:
        url = gone.jwks_url
    with pytest.raises(KeySetUnavailable, match="fetching"):
        await KeySetCache(url, timeout=2).key("any")


def test_only_public_ed25519_signing_keys_are_kept() -> None:
    ed25519 = new_key()
    public = ed25519.as_dict(private=False)
    keys = parse_key_set(
        {
            "keys": [
                public,
                {**new_key().as_dict(private=True), "kid": "private"},
                {**public, "kid": "for-encryption", "use": "enc"},
                {**public, "kid": "other-alg", "alg": "EdDSA"},
                {**public, "kid": "ed448", "crv": "Ed448"},
                {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
                {**public, "kid": "bad-x", "x": "not base64!"},
                {"kty": "OKP", "crv": "Ed25519", "x": public["x"]},
                "not a key",
            ]
        }
    )
    assert list(keys) == [public["kid"]]


@pytest.mark.parametrize("document", [[], {"keys": "none"}, {"other": []}])
def test_a_document_without_a_keys_list_is_unavailable(document: object) -> None:
    with pytest.raises(KeySetUnavailable, match="no `keys` list"):
        parse_key_set(document)
