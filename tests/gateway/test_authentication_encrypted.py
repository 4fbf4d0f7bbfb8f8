"""Access tokens encrypted to the gateway (a signed JWT nested in a JWE, RFC 7519 §5.2), as an
issuer seals a platform's token: encrypted to the key the gateway publishes, opened by it,
and the JWT inside checked as any other; anything else encrypted is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc import jwe, jwt
from joserfc.jwk import Key, KeySet, OctKey, OKPKey, RSAKey

from tests.gateway.kit.federation import (
    REFERENCE,
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import AUDIENCE, TestIssuer, unsigned

TOPIC = "operations"
QUERY = '{ item(id: "1") { name stars } }'
DATA = {"item": {"name": "apple", "stars": 4}}
SEALED = {"alg": "ECDH-ES", "enc": "A256GCM", "cty": "JWT"}

pytestmark = pytest.mark.skipif(REFERENCE, reason="authentication is this gateway's own")


@pytest.fixture(scope="module")
def federation(issuer: TestIssuer) -> Iterator[Federation]:
    settings = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "revocation_poll_url": f"{issuer.url}/revocations",
        "revocation_poll_interval": 0.05,
    }
    with start_federation(load_topic(TOPIC), settings) as fed:
        yield fed


async def _published_encryption_key(gw: GatewayClient) -> Key:
    jwks = (await gw.request("GET", "/.well-known/jwks.json")).json()
    [entry] = [key for key in jwks["keys"] if key.get("use") == "enc"]
    return KeySet.import_key_set({"keys": [entry]}).keys[0]


def _seal(signed: str, key: Key, **header: Any) -> str:
    protected = {**SEALED, "kid": key.kid, **header}
    algorithms = [protected["alg"], protected["enc"]]
    return jwe.encrypt_compact(protected, signed, key, algorithms=algorithms)


async def _status(gw: GatewayClient, token: str) -> tuple[int, Any]:
    return await gw.query(QUERY, headers={"authorization": f"Bearer {token}"})


async def test_a_token_sealed_to_the_gateway_is_opened_and_verified(
    gw: GatewayClient, fed: Federation, issuer: TestIssuer
) -> None:
    sealed = _seal(issuer.mint(), await _published_encryption_key(gw))
    assert sealed.count(".") == 4 and "19800101-0001" not in sealed
    assert await _status(gw, sealed) == (200, {"data": DATA})
    # The subgraphs are told whose data it is, from the JWT inside.
    [headers] = fed.subgraphs["store"].headers
    jwks = (await gw.request("GET", "/.well-known/jwks.json")).json()
    identity = jwt.decode(
        headers["authorization"].removeprefix("Bearer "),
        KeySet.import_key_set({"keys": [k for k in jwks["keys"] if k["use"] == "sig"]}),
        algorithms=["Ed25519"],
    )
    assert identity.claims["sub"] == "19800101-0001"
    assert sealed not in str(fed.subgraphs["store"].headers)


async def test_a_revoked_sealed_token_is_refused(gw: GatewayClient, issuer: TestIssuer) -> None:
    key = await _published_encryption_key(gw)
    sealed = _seal(issuer.mint(jti="jti-sealed-revoked"), key)
    assert (await _status(gw, sealed))[0] == 200
    issuer.revoke("jti:jti-sealed-revoked")
    for _ in range(200):  # the gateway polls every 0.05 s
        if (await _status(gw, sealed))[0] != 200:
            break
        await asyncio.sleep(0.05)
    status, body = await _status(gw, sealed)
    assert status == 401 and "data" not in body


def _other_key() -> OKPKey:
    return OKPKey.generate_key("X25519", auto_kid=True)


@pytest.mark.parametrize(
    "case",
    [
        "another key",
        "another key, our kid",
        "an unsigned JWT inside",
        "a JWT signed by someone else inside",
        "direct encryption",
    ],
)
async def test_what_the_gateway_cannot_trust_inside_a_jwe_is_refused(
    gw: GatewayClient, issuer: TestIssuer, case: str
) -> None:
    ours = await _published_encryption_key(gw)
    other = _other_key()
    stranger = RSAKey.generate_key(2048, auto_kid=True)
    forged = jwt.encode({"alg": "RS256", "typ": "at+jwt"}, issuer.claims(), stranger)
    token = {
        "another key": lambda: _seal(issuer.mint(), other),
        "another key, our kid": lambda: _seal(issuer.mint(), other, kid=ours.kid),
        "an unsigned JWT inside": lambda: _seal(unsigned(issuer.claims()), ours),
        "a JWT signed by someone else inside": lambda: _seal(forged, ours),
        "direct encryption": lambda: jwe.encrypt_compact(
            {"alg": "dir", "enc": "A256GCM", "kid": ours.kid},
            issuer.mint(),
            OctKey.generate_key(256),
            algorithms=["dir", "A256GCM"],
        ),
    }[case]()
    status, body = await _status(gw, token)
    assert status == 401, body
    assert "data" not in body
