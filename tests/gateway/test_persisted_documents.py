"""Persisted documents (fixtures/operations): automatic persisted queries as Apollo clients
speak them (hash first, the text after a PERSISTED_QUERY_NOT_FOUND), shared between replicas
through the real Redis; a manifest of registered operations, sent by `documentId`, and the
safelist that runs nothing else; manifests the gateway cannot use stop its start."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from gateway.errors import ConfigurationError
from gateway.http import create_app
from gateway.settings import GatewaySettings, check_settings
from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient
from tests.gateway.kit.replica import gateway_replica

TOPIC = "operations"
REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = f"test:apq:{secrets.token_hex(4)}:"
GATEWAY_SETTINGS = {"persisted_redis_url": REDIS_URL, "persisted_redis_prefix": PREFIX}
QUERY = '{ item(id: "1") { name stars } }'
DATA = {"item": {"name": "apple", "stars": 4}}
MUTATION = 'mutation { addItem(name: "pear") { name } }'

pytestmark = pytest.mark.skipif(REFERENCE, reason="persisted documents are this gateway's own")


@pytest.fixture(scope="module", autouse=True)
def _forget_registrations() -> Iterator[None]:
    yield

    async def delete() -> None:
        client = redis.Redis.from_url(REDIS_URL)
        async for key in client.scan_iter(match=PREFIX + "*"):
            await client.delete(key)
        await client.aclose()

    asyncio.run(delete())


def _unique(query: str = QUERY) -> str:
    """The query under a comment of its own: a document no other test has registered."""
    return f"# {secrets.token_hex(8)}\n{query}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def _post(gw: GatewayClient, **body: Any) -> tuple[int, Any]:
    response = await gw.request("POST", json=body)
    return response.status_code, response.json()


def _code(body: Any) -> str:
    [error] = body["errors"]
    return str(error["extensions"]["code"])


async def test_an_unknown_hash_asks_for_the_text_then_the_hash_alone_runs(
    gw: GatewayClient, fed: Federation
) -> None:
    query = _unique()
    digest = _sha256(query)
    status, body = await _post(gw, extensions=_apq(digest))
    # Apollo's clients resend with the text on this message or code, at HTTP 200.
    assert status == 200
    assert body == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert fed.subgraphs["store"].requests == []
    assert await _post(gw, query=query, extensions=_apq(digest)) == (200, {"data": DATA})
    assert await _post(gw, extensions=_apq(digest)) == (200, {"data": DATA})


async def test_a_query_whose_sha256_is_not_the_hash_is_refused_and_not_registered(
    gw: GatewayClient,
) -> None:
    digest = _sha256(_unique())
    status, body = await _post(gw, query=_unique(), extensions=_apq(digest))
    assert (status, _code(body)) == (400, "PERSISTED_QUERY_HASH_MISMATCH")
    status, body = await _post(gw, extensions=_apq(digest))
    assert _code(body) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_document_that_does_not_validate_is_not_registered(gw: GatewayClient) -> None:
    query = _unique("{ item(id: 1) { nope } }")
    status, body = await _post(gw, query=query, extensions=_apq(_sha256(query)))
    assert status == 400
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    status, body = await _post(gw, extensions=_apq(_sha256(query)))
    assert _code(body) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_malformed_persisted_query_extension_is_refused(gw: GatewayClient) -> None:
    for extension in (
        {"version": 2, "sha256Hash": _sha256(QUERY)},
        {"version": 1, "sha256Hash": "not-hex"},
        {"version": 1},
        "abc",
    ):
        status, body = await _post(gw, extensions={"persistedQuery": extension})
        assert (status, _code(body)) == (400, "PERSISTED_QUERY_INVALID"), extension


async def test_a_registered_hash_runs_over_get_but_a_mutation_still_needs_post(
    gw: GatewayClient,
) -> None:
    query = _unique()
    extensions = json.dumps(_apq(_sha256(query)))
    # Registration over GET too, as Apollo's link does with useGETForHashedQueries.
    response = await gw.request("GET", params={"query": query, "extensions": extensions})
    assert (response.status_code, response.json()) == (200, {"data": DATA})
    response = await gw.request("GET", params={"extensions": extensions})
    assert (response.status_code, response.json()) == (200, {"data": DATA})

    mutation = _unique(MUTATION)
    status, _ = await _post(gw, query=mutation, extensions=_apq(_sha256(mutation)))
    assert status == 200
    response = await gw.request("GET", params={"extensions": json.dumps(_apq(_sha256(mutation)))})
    assert response.status_code == 405
    assert _code(response.json()) == "METHOD_NOT_ALLOWED"


async def test_a_registration_at_one_replica_is_found_by_another_sharing_redis(
    gw: GatewayClient, fed: Federation
) -> None:
    query = _unique()
    digest = _sha256(query)
    with gateway_replica(fed, GATEWAY_SETTINGS) as other:
        assert _code((await _post(other, extensions=_apq(digest)))[1]) == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        assert await _post(gw, query=query, extensions=_apq(digest)) == (200, {"data": DATA})
        assert await _post(other, extensions=_apq(digest)) == (200, {"data": DATA})


async def test_with_redis_unreachable_apq_works_within_the_replica(fed: Federation) -> None:
    settings = {"persisted_redis_url": "redis://127.0.0.1:1/0"}
    with gateway_replica(fed, settings) as gw:
        query = _unique()
        digest = _sha256(query)
        assert _code((await _post(gw, extensions=_apq(digest)))[1]) == ("PERSISTED_QUERY_NOT_FOUND")
        assert await _post(gw, query=query, extensions=_apq(digest)) == (200, {"data": DATA})
        assert await _post(gw, extensions=_apq(digest)) == (200, {"data": DATA})


async def test_with_apq_off_a_hash_alone_is_answered_not_supported(fed: Federation) -> None:
    with gateway_replica(fed, {"apq": False}) as gw:
        status, body = await _post(gw, extensions=_apq(_sha256(QUERY)))
        assert (status, _code(body)) == (400, "PERSISTED_QUERY_NOT_SUPPORTED")
        assert await _post(gw, query=QUERY) == (200, {"data": DATA})


REGISTERED = '{ item(id: "1") { name } }'
REGISTERED_DATA = {"item": {"name": "apple"}}


def _apollo_manifest(path: Path, *bodies: str) -> Path:
    operations = [
        {"id": _sha256(body), "name": f"Op{n}", "type": "query", "body": body}
        for n, body in enumerate(bodies)
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


async def test_the_safelist_runs_registered_operations_only(
    fed: Federation, tmp_path: Path
) -> None:
    manifest = _apollo_manifest(tmp_path / "manifest.json", REGISTERED)
    settings = {
        "persisted_documents": "safelist",
        "persisted_manifest": str(manifest),
        "apq": False,
    }
    digest = _sha256(REGISTERED)
    with gateway_replica(fed, settings) as gw:
        # A registered operation, however the client names it.
        for body in (
            {"documentId": digest},
            {"documentId": f"sha256:{digest}"},
            {"query": REGISTERED},
            {"extensions": _apq(digest)},
            {"query": REGISTERED, "extensions": _apq(digest)},
        ):
            assert await _post(gw, **body) == (200, {"data": REGISTERED_DATA}), body
        response = await gw.request("GET", params={"documentId": digest})
        assert (response.status_code, response.json()) == (200, {"data": REGISTERED_DATA})

        # Anything else, registration through APQ included.
        for body in (
            {"query": QUERY},
            {"documentId": _sha256(QUERY)},
            {"extensions": _apq(_sha256(QUERY))},
            {"query": QUERY, "extensions": _apq(_sha256(QUERY))},
        ):
            status, answer = await _post(gw, **body)
            assert (status, _code(answer)) == (400, "PERSISTED_QUERY_NOT_IN_SAFELIST"), body
        status, answer = await _post(gw, documentId=digest, query=QUERY)
        assert (status, _code(answer)) == (400, "PERSISTED_QUERY_HASH_MISMATCH")


async def test_allow_unregistered_resolves_ids_of_a_plain_map_and_runs_other_documents(
    fed: Federation, tmp_path: Path
) -> None:
    manifest = tmp_path / "map.json"
    manifest.write_text(json.dumps({"item-name": REGISTERED}))
    settings = {"persisted_documents": "allow_unregistered", "persisted_manifest": str(manifest)}
    with gateway_replica(fed, settings) as gw:
        assert await _post(gw, documentId="item-name") == (200, {"data": REGISTERED_DATA})
        assert await _post(gw, query=QUERY) == (200, {"data": DATA})
        status, body = await _post(gw, documentId="unknown")
        assert (status, _code(body)) == (400, "PERSISTED_DOCUMENT_NOT_FOUND")
        status, body = await _post(gw, documentId=["item-name"])
        assert (status, _code(body)) == (400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("{not json", "is not JSON"),
        ("[]", "must be an Apollo manifest or a JSON object"),
        ('{"format": "other", "version": 1, "operations": []}', "apollo-persisted-query"),
        ('{"a": 1}', "operation 'a' has no body"),
        ('{"a": "{ item(id: "}', "operation 'a' does not parse"),
        # The control: ids may share a document.
        (json.dumps({"a": "{ item(id: 1) { name } }", "b": "{ item(id: 1) { name } }"}), None),
        (
            json.dumps({_sha256("{ b }"): "{ a }", "x": "{ b }"}),
            "names two different documents",
        ),
    ],
)
def test_a_manifest_the_gateway_cannot_use_stops_the_start(
    fed: Federation, tmp_path: Path, content: str | None, problem: str | None
) -> None:
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)
    settings = GatewaySettings(persisted_documents="safelist", persisted_manifest=path, apq=False)
    if problem is None:  # the control case: the same settings start with a usable manifest
        create_app(fed.supergraph, settings=settings)
        return
    with pytest.raises(ConfigurationError, match=problem) as raised:
        create_app(fed.supergraph, settings=settings)
    assert str(raised.value).startswith(f"GATEWAY_PERSISTED_MANIFEST: {path}")


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"persisted_documents": "safelist"}, "GATEWAY_PERSISTED_MANIFEST"),
        ({"persisted_manifest": "m.json"}, "GATEWAY_PERSISTED_MANIFEST"),
        (
            {"persisted_documents": "safelist", "persisted_manifest": "m.json"},
            "GATEWAY_APQ",
        ),
        ({"apq": False, "persisted_redis_url": REDIS_URL}, "GATEWAY_PERSISTED_REDIS_URL"),
    ],
)
def test_settings_that_cannot_be_honoured_together_stop_the_start(
    settings: dict[str, Any], variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable}:"):
        check_settings(GatewaySettings(**settings))
