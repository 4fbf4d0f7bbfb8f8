"""Floods a single event loop must shrug off: forged tokens, huge and deeply nested variables,
batches. Each is refused (or ignored) quickly with a GraphQL error, and a normal request sent
at the same moment is answered about as fast as alone (fixtures/operations, a test issuer over
real HTTP). Fragment bombs and the other document limits: test_limits.py."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator

import httpx
import orjson
import pytest
from joserfc.jwk import RSAKey

from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer, hs256_with_public_key, unsigned

pytestmark = pytest.mark.skipif(REFERENCE, reason="these limits are this gateway's own")

NORMAL = {"query": '{ item(id: "1") { name stars } }'}
JSON = {"content-type": "application/json"}
# The bound for a normal request sent with a flood; the client, the gateway and the
# subgraphs share this process and a loaded machine, so it bounds the flood's added delay
# (difference of medians) rather than the absolute time.
ADDED_DELAY = 0.05

Flood = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
def federation(issuer: TestIssuer) -> Iterator[Federation]:
    settings = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{issuer.url}/revocations",
    }
    with start_federation(load_topic("operations"), settings) as fed:
        yield fed


def forged_tokens(issuer: TestIssuer) -> list[str]:
    stranger = RSAKey.generate_key(2048, parameters={"kid": issuer.keys[0].kid})
    claims = issuer.claims()
    return [
        issuer.mint(stranger),  # the issuer's kid, another key's signature
        unsigned(claims),
        hs256_with_public_key(issuer.keys[0], claims),
        issuer.mint(header={"kid": "no-such-key"}),
        issuer.mint(exp=int(time.time()) - 3600),
    ]


async def added_delay(gw: GatewayClient, flood: Flood, per_round: int = 8) -> float:
    """The median time a normal (cached) request takes while `per_round` flood requests are
    sent with it, less its median time alone."""

    async def timed(client: httpx.AsyncClient) -> float:
        started = time.perf_counter()
        response = await client.post("/graphql", json=NORMAL)
        assert response.status_code == 200 and response.json()["data"]["item"]["name"] == "apple"
        return time.perf_counter() - started

    limits = httpx.Limits(max_connections=per_round + 4)
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(client.post("/graphql", json=NORMAL) for _ in range(4)))
        alone = [await timed(client) for _ in range(7)]
        flooded = []
        for round_ in range(7):
            *_, latency = await asyncio.gather(
                *(flood(client, round_ * per_round + n) for n in range(per_round)),
                timed(client),
            )
            flooded.append(latency)
    alone_ms, flooded_ms = statistics.median(alone) * 1000, statistics.median(flooded) * 1000
    print(f"normal request alone {alone_ms:.1f} ms, with the flood {flooded_ms:.1f} ms")
    return statistics.median(flooded) - statistics.median(alone)


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code


async def test_forged_tokens_are_refused_without_slowing_anyone(
    gw: GatewayClient, issuer: TestIssuer
) -> None:
    tokens = forged_tokens(issuer)

    async def flood(client: httpx.AsyncClient, n: int) -> httpx.Response:
        headers = {"authorization": f"Bearer {tokens[n % len(tokens)]}"}
        response = await client.post("/graphql", json=NORMAL, headers=headers)
        refused(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        return response

    assert await added_delay(gw, flood) < ADDED_DELAY


async def test_a_batch_is_refused_whole_without_running_any_of_it(
    gw: GatewayClient, fed: Federation
) -> None:
    # About 200 KB, within the body limit; encoded once, so the client (in this process) does
    # not compete with the gateway for the CPU.
    batch = orjson.dumps([NORMAL] * 5_000)

    async def flood(client: httpx.AsyncClient, n: int) -> httpx.Response:
        response = await client.post("/graphql", content=batch, headers=JSON)
        refused(response, 400, "BAD_REQUEST")
        assert "JSON object" in response.json()["errors"][0]["message"]
        return response

    fed.reset()
    async with httpx.AsyncClient(base_url=gw.base_url) as client:
        await flood(client, 0)
    assert all(not s.requests for s in fed.subgraphs.values())
    # Four at once: their bytes cross this process's own client too.
    assert await added_delay(gw, flood, per_round=4) < ADDED_DELAY


async def test_huge_variables_are_refused_or_ignored_quickly(gw: GatewayClient) -> None:
    declared = orjson.dumps(
        {
            "query": "query ($id: ID!) { item(id: $id) { name } }",
            "variables": {"id": ["x" * 100] * 9_000},  # 900 KB where an ID belongs
        }
    )
    undeclared = orjson.dumps(
        {"query": NORMAL["query"], "variables": {f"v{i}": i for i in range(30_000)}}
    )
    # Written by hand: Python's JSON encoder would stop at its own recursion limit.
    deep = (
        b'{"query": "{ item(id: \\"1\\") { name } }", "variables": {"v": '
        + b"[" * 5_000
        + b"1"
        + b"]" * 5_000
        + b"}}"
    )

    async def flood(client: httpx.AsyncClient, n: int) -> httpx.Response:
        kind = n % 3
        if kind == 0:
            response = await client.post("/graphql", content=declared, headers=JSON)
            refused(response, 400, "BAD_USER_INPUT")
            assert len(response.content) < 3_000, "the value is not echoed back"
        elif kind == 1:
            # Variables the operation does not declare are not read.
            response = await client.post("/graphql", content=undeclared, headers=JSON)
            assert response.status_code == 200 and response.json()["data"]["item"]
        else:
            # Nested past what the JSON parser follows: a 400 naming the body, not a crash.
            response = await client.post("/graphql", content=deep, headers=JSON)
            refused(response, 400, "BAD_REQUEST")
        return response

    # Two at once: up to 2 MB a round, which cross this process's own client too.
    assert await added_delay(gw, flood, per_round=2) < ADDED_DELAY
