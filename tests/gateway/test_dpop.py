"""The DPoP proof verifier (gateway/dpop.py), in process: every refusal of RFC 9449 §4.3, the
replay cache in memory and in the real Redis, server nonces, and the sender-constraint stage."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from gateway.dpop import (
    DpopError,
    DpopUnavailable,
    DpopVerifier,
    MemoryReplayCache,
    Nonces,
    Presented,
    RedisReplayCache,
    SenderConstraint,
    access_token_hash,
    normalized_url,
    thumbprint,
)
from gateway.redis_link import RedisLink
from tests.gateway.kit.dpop import DpopKey

REDIS_URL = "redis://127.0.0.1:6379/0"
URL = "https://api.example.gov/graphql"
TOKEN = "header.payload.signature"


def _presented(proof: str | None, method: str = "POST", url: str = URL) -> Presented:
    return Presented(method, url, (proof,) if proof is not None else ())


async def _refused(verifier: DpopVerifier, presented: Presented, **kw: Any) -> DpopError:
    with pytest.raises(DpopError) as refused:
        await verifier.verify(presented, **kw)
    return refused.value


@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA"])
async def test_a_valid_proof_returns_its_keys_thumbprint(alg: str) -> None:
    key = DpopKey(alg)
    jkt = await DpopVerifier().verify(
        _presented(key.proof("POST", URL, access_token=TOKEN)), access_token=TOKEN, bound_to=key.jkt
    )
    assert jkt == key.jkt == thumbprint(key.public_jwk)


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.c2ln"


def _refusals() -> list[tuple[str, Presented, dict[str, Any], str]]:
    key = DpopKey()
    other = DpopKey()
    now = int(time.time())
    rsa = RSAKey.generate_key(2048)
    small_rsa = RSAKey.generate_key(1024)
    private = {**key.public_jwk, "d": key.key.as_dict(private=True)["d"]}
    forged = key.proof("POST", URL).rsplit(".", 1)[0] + "." + other.proof("POST", URL)[-86:]
    return [
        ("no proof", _presented(None), {}, "has no DPoP proof"),
        (
            "two proofs",
            Presented("POST", URL, (key.proof("POST", URL), key.proof("POST", URL))),
            {},
            "exactly one DPoP proof",
        ),
        ("not a JWT", _presented("not-a-jwt"), {}, "not a signed JWT"),
        (
            "typ JWT",
            _presented(key.proof("POST", URL, header={"typ": "JWT"})),
            {},
            "typ is not dpop+jwt",
        ),
        (
            "alg none",
            _presented(_unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk}, {})),
            {},
            "algorithm 'none' is not accepted",
        ),
        (
            "HS256",
            _presented(_unsigned({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.public_jwk}, {})),
            {},
            "algorithm 'HS256' is not accepted",
        ),
        (
            "RS256 (not on the list)",
            _presented(
                str(
                    jws.serialize_compact(
                        {"typ": "dpop+jwt", "alg": "RS256", "jwk": rsa.as_dict(private=False)},
                        b"{}",
                        rsa,
                        algorithms=["RS256"],
                    )
                )
            ),
            {},
            "algorithm 'RS256' is not accepted",
        ),
        ("no jwk", _presented(key.proof("POST", URL, header={"jwk": None})), {}, "no jwk"),
        (
            "a private key in the header",
            _presented(key.proof("POST", URL, header={"jwk": private})),
            {},
            "holds a private key",
        ),
        (
            "a symmetric key",
            _presented(key.proof("POST", URL, header={"jwk": {"kty": "oct", "x": "AAAA"}})),
            {},
            "not EC, RSA or OKP",
        ),
        (
            "an RSA key under 2048 bits",
            _presented(
                str(
                    jws.serialize_compact(
                        {
                            "typ": "dpop+jwt",
                            "alg": "PS256",
                            "jwk": small_rsa.as_dict(private=False),
                        },
                        b"{}",
                        small_rsa,
                        algorithms=["PS256"],
                    )
                )
            ),
            {},
            "at least 2048 bits",
        ),
        (
            "signed by another key than its jwk",
            _presented(key.proof("POST", URL, header={"jwk": other.public_jwk})),
            {},
            "signature does not verify",
        ),
        ("a forged signature", _presented(forged), {}, "signature does not verify"),
        ("another method", _presented(key.proof("GET", URL)), {}, "another method"),
        (
            "another URL",
            _presented(key.proof("POST", "https://api.example.gov/other")),
            {},
            "another URL",
        ),
        (
            "another host",
            _presented(key.proof("POST", "https://evil.example/graphql")),
            {},
            "another URL",
        ),
        ("no htu", _presented(key.proof("POST", URL, htu=None)), {}, "another URL"),
        (
            "an htu that is no URL",
            _presented(key.proof("POST", "http://[::1/graphql")),
            {},
            "another URL",
        ),
        ("no iat", _presented(key.proof("POST", URL, iat=None)), {}, "has no iat"),
        (
            "expired",
            _presented(key.proof("POST", URL, iat=now - 61)),
            {},
            "has expired",
        ),
        (
            "from the future",
            _presented(key.proof("POST", URL, iat=now + 30)),
            {},
            "issued in the future",
        ),
        ("no jti", _presented(key.proof("POST", URL, jti=None)), {}, "no usable jti"),
        (
            "no ath with a token",
            _presented(key.proof("POST", URL)),
            {"access_token": TOKEN},
            "ath does not match",
        ),
        (
            "ath of another token",
            _presented(key.proof("POST", URL, access_token="another.token.here")),
            {"access_token": TOKEN},
            "ath does not match",
        ),
        (
            "another key than the token's",
            _presented(other.proof("POST", URL, access_token=TOKEN)),
            {"access_token": TOKEN, "bound_to": key.jkt},
            "another key than the token is bound to",
        ),
    ]


@pytest.mark.parametrize("case", range(25))
async def test_each_refusal_names_the_check_that_failed(case: int) -> None:
    cases = _refusals()
    assert len(cases) == 25
    name, presented, kw, reason = cases[case]
    refused = await _refused(DpopVerifier(), presented, **kw)
    assert reason in str(refused), (name, str(refused))
    assert refused.error == "invalid_dpop_proof"


async def test_htu_is_compared_without_query_fragment_default_port_or_case() -> None:
    key = DpopKey()
    verifier = DpopVerifier()
    proof = key.proof("GET", "HTTPS://API.example.gov:443/graphql")
    await verifier.verify(Presented("GET", URL + "?query=%7Bme%7D#x", (proof,)))
    assert normalized_url("http://h:80/a?b#c") == "http://h/a"
    assert normalized_url("http://h:8080") == "http://h:8080/"
    assert normalized_url("https://h/Graphql") != normalized_url("https://h/graphql")


async def test_a_replayed_proof_is_refused_in_memory() -> None:
    verifier = DpopVerifier(replay=MemoryReplayCache())
    proof = DpopKey().proof("POST", URL)
    await verifier.verify(_presented(proof))
    refused = await _refused(verifier, _presented(proof))
    assert "used before" in str(refused)


async def test_the_memory_cache_forgets_a_jti_once_its_proof_could_no_longer_pass() -> None:
    cache = MemoryReplayCache()
    assert await cache.first_use("a", 0.05)
    assert not await cache.first_use("a", 0.05)
    await asyncio.sleep(0.06)
    assert await cache.first_use("b", 0.05)
    assert await cache.first_use("a", 0.05), "expired keys are purged"


@pytest.fixture
async def redis_link() -> AsyncIterator[RedisLink]:
    link = RedisLink(REDIS_URL, "test")
    yield link
    await link.close()


async def test_a_proof_used_at_one_replica_is_refused_at_another_through_redis(
    redis_link: RedisLink,
) -> None:
    prefix = f"test:dpop:{secrets.token_hex(4)}:"
    other_link = RedisLink(REDIS_URL, "test")
    first = DpopVerifier(replay=RedisReplayCache(redis_link, prefix))
    second = DpopVerifier(replay=RedisReplayCache(other_link, prefix))
    try:
        proof = DpopKey().proof("POST", URL)
        await first.verify(_presented(proof))
        refused = await _refused(second, _presented(proof))
        assert "used before" in str(refused)
        [stored] = await redis_link.client.keys(prefix + "jti:*")
        ttl = await redis_link.client.pttl(stored)
        assert 60_000 < ttl <= 65_000, "kept as long as the proof could pass the iat check"
    finally:
        await other_link.close()


async def test_redis_out_of_reach_refuses_proofs_instead_of_admitting_them() -> None:
    link = RedisLink("redis://127.0.0.1:9/0", "test")
    verifier = DpopVerifier(replay=RedisReplayCache(link, "test:dpop:"))
    try:
        with pytest.raises(DpopUnavailable):
            await verifier.verify(_presented(DpopKey().proof("POST", URL)))
        # Paused: the next proof is refused at once, without another timeout.
        started = time.monotonic()
        with pytest.raises(DpopUnavailable):
            await verifier.verify(_presented(DpopKey().proof("POST", URL)))
        assert time.monotonic() - started < 0.2
    finally:
        await link.close()


async def test_with_nonces_a_proof_needs_the_current_one_and_the_refusal_names_it(
    redis_link: RedisLink,
) -> None:
    prefix = f"test:dpop:{secrets.token_hex(4)}:"
    other_link = RedisLink(REDIS_URL, "test")
    try:
        first = DpopVerifier(nonces=Nonces(300, redis_link, prefix))
        second = DpopVerifier(nonces=Nonces(300, other_link, prefix))
        key = DpopKey()
        refused = await _refused(first, _presented(key.proof("POST", URL)))
        assert refused.error == "use_dpop_nonce"
        assert refused.nonce
        stale = await _refused(first, _presented(key.proof("POST", URL, nonce="made-up")))
        assert stale.error == "use_dpop_nonce"
        # Another replica sharing the Redis recognises the nonce.
        await second.verify(_presented(key.proof("POST", URL, nonce=refused.nonce)))
    finally:
        await other_link.close()


async def test_a_nonce_lasts_its_slot_and_the_next_then_is_refused() -> None:
    nonces = Nonces(10, None, "")
    now = 1_000_000.0
    nonce = await nonces.current(now)
    assert await nonces.accepts(nonce, now + 10)
    assert not await nonces.accepts(nonce, now + 20)
    assert not await Nonces(10, None, "").accepts(nonce, now), "another process's key"


async def test_the_stage_lets_unbound_bearer_tokens_through_and_refuses_bound_ones() -> None:
    stage = SenderConstraint(DpopVerifier())
    key = DpopKey()
    bound = {"sub": "x", "cnf": {"jkt": key.jkt}}
    await stage.check({"sub": "x"}, "bearer", TOKEN, None)
    as_bearer = pytest.raises(DpopError, match="DPoP-bound")
    with as_bearer as refused:
        await stage.check(bound, "bearer", TOKEN, _presented(key.proof("POST", URL)))
    assert refused.value.error == "invalid_token"
    with pytest.raises(DpopError, match="not DPoP-bound") as unbound:
        proof = key.proof("POST", URL, access_token=TOKEN)
        await stage.check({"sub": "x"}, "dpop", TOKEN, _presented(proof))
    assert unbound.value.error == "invalid_token"
    with pytest.raises(DpopError, match="no DPoP proof"):
        await stage.check(bound, "dpop", TOKEN, None)
    await stage.check(bound, "dpop", TOKEN, _presented(key.proof("POST", URL, access_token=TOKEN)))


def test_the_ath_is_the_base64url_sha256_of_the_token() -> None:
    # RFC 9449 §7.1's example token and its ath.
    token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
    assert access_token_hash(token) == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"


def test_the_thumbprint_is_rfc_7638s() -> None:
    # RFC 7638 §3.1's example key and thumbprint.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
        "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNL"
        "yrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJ"
        "zKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


async def test_an_ec_key_on_the_wrong_curve_for_its_alg_is_refused() -> None:
    key = ECKey.generate_key("P-384")
    proof = str(
        jws.serialize_compact(
            {"typ": "dpop+jwt", "alg": "ES384", "jwk": key.as_dict(private=False)},
            json.dumps({"htm": "POST", "htu": URL, "iat": int(time.time()), "jti": "j"}).encode(),
            key,
            algorithms=["ES384"],
        )
    )
    forged_alg = proof.split(".")
    header = json.loads(base64.urlsafe_b64decode(forged_alg[0] + "=="))
    header["alg"] = "ES256"
    forged_alg[0] = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with pytest.raises(DpopError, match="signature does not verify"):
        await DpopVerifier().verify(_presented(".".join(forged_alg)))
