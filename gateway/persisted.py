"""Persisted documents: which document a request runs when it names one instead of sending it.

    documentId "<id>"                      ─▶ the manifest (GraphQL over HTTP, trusted documents)
    extensions.persistedQuery.sha256Hash   ─▶ the manifest, then the APQ store (Apollo's APQ)
      + query                              ─▶ sha256(query) must equal the hash; then stored
    query alone                            ─▶ itself; under the safelist only a manifest body

The manifest (Apollo's persisted query manifest, or a JSON map id -> body) is read once at
start; a manifest that cannot be read stops the start. The APQ store is a byte-bounded LRU in
the process, with Redis behind it when configured so a document registered at one replica is
found at every other. A Redis outage makes APQ lookups miss: the client then sends the text
again, which APQ is built for. The safelist never depends on Redis.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson
from graphql import GraphQLSyntaxError, parse

from gateway.errors import (
    BAD_REQUEST,
    PERSISTED_DOCUMENT_NOT_FOUND,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_INVALID,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_SAFELIST,
    PERSISTED_QUERY_NOT_SUPPORTED,
    ConfigurationError,
)
from gateway.redis_link import REDIS_ERRORS, RedisLink
from gateway.settings import GatewaySettings

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_APOLLO_FORMAT = "apollo-persisted-query-manifest"


class PersistedDocumentError(Exception):
    """A request's persisted document cannot be run; `code` and `status` go to the client."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True, slots=True)
class Manifest:
    """The registered documents, by id and by the sha256 of their text (bare and "sha256:")."""

    by_id: Mapping[str, str]
    bodies: frozenset[str]


def load_manifest(path: Path) -> Manifest:
    """Read a manifest; ConfigurationError (naming the setting) when it cannot be used."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as error:
        raise _manifest_error(path, f"cannot be read: {error.strerror}") from None
    except orjson.JSONDecodeError as error:
        raise _manifest_error(path, f"is not JSON: {error}") from None
    if isinstance(document, dict) and "operations" in document:
        if document.get("format") != _APOLLO_FORMAT or document.get("version") != 1:
            raise _manifest_error(path, f'is not an "{_APOLLO_FORMAT}" of version 1')
        operations = document["operations"]
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise _manifest_error(path, "operations must be a list of objects")
        entries = [(o.get("id"), o.get("body")) for o in operations]
    elif isinstance(document, dict):
        entries = list(document.items())
    else:
        raise _manifest_error(path, "must be an Apollo manifest or a JSON object id -> document")
    by_id: dict[str, str] = {}
    for document_id, body in entries:
        if not isinstance(document_id, str) or not document_id:
            raise _manifest_error(path, f"an operation has no id: {document_id!r}")
        if not isinstance(body, str):
            raise _manifest_error(path, f"operation {document_id!r} has no body")
        try:
            parse(body)
        except GraphQLSyntaxError as error:
            problem = f"operation {document_id!r} does not parse: {error.message}"
            raise _manifest_error(path, problem) from None
        digest = _sha256(body)
        for key in (document_id, digest, f"sha256:{digest}"):
            if by_id.setdefault(key, body) != body:
                raise _manifest_error(path, f"id {key!r} names two different documents")
    return Manifest(MappingProxyType(by_id), frozenset(by_id.values()))


def _manifest_error(path: Path, problem: str) -> ConfigurationError:
    return ConfigurationError(f"GATEWAY_PERSISTED_MANIFEST: {path} {problem}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _DocumentLRU:
    """Documents by hash, the least recently used dropped once their text exceeds `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.items: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        size = len(value.encode())
        if size > self.max_bytes or key in self.items:
            return
        self.items[key] = value
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, dropped = self.items.popitem(last=False)
            self.bytes -= len(dropped.encode())


class ApqStore:
    """Registered APQ documents: in this process, and in Redis when it is configured."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.local = _DocumentLRU(settings.apq_cache_bytes)
        self.prefix = settings.persisted_redis_prefix
        self.ttl = settings.persisted_redis_ttl
        self.redis: RedisLink | None = None
        if settings.persisted_redis_url is not None:
            self.redis = RedisLink(settings.persisted_redis_url, "automatic persisted queries")

    async def get(self, digest: str) -> str | None:
        document = self.local.get(digest)
        if document is None and self.redis is not None and self.redis.available:
            try:
                stored = await self.redis.client.get(self.prefix + digest)
            except REDIS_ERRORS as error:
                self.redis.failed(error)
                return None
            # The hash is checked again: whoever can write the prefix must not pick the text.
            if isinstance(stored, bytes) and _sha256(text := stored.decode()) == digest:
                document = text
                self.local.put(digest, document)
        return document

    async def put(self, digest: str, document: str) -> None:
        self.local.put(digest, document)
        if self.redis is not None and self.redis.available:
            try:
                await self.redis.client.set(self.prefix + digest, document, ex=self.ttl)
            except REDIS_ERRORS as error:
                self.redis.failed(error)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


# Checks a document before it is registered (raises RequestError if it does not validate).
DocumentCheck = Callable[[str, str | None], object]


class PersistedDocuments:
    """Turns a request's parameters into the document it runs, by the settings' mode."""

    def __init__(self, settings: GatewaySettings, check: DocumentCheck) -> None:
        self.safelist = settings.persisted_documents == "safelist"
        self.manifest = Manifest(MappingProxyType({}), frozenset())
        if settings.persisted_manifest is not None:
            self.manifest = load_manifest(settings.persisted_manifest)
        self.apq = ApqStore(settings) if settings.apq else None
        self.check = check

    async def document(self, params: Mapping[str, Any]) -> Any:
        """The query text to run (as the client sent it when it names no document: the
        caller checks its type); raises PersistedDocumentError."""
        document_id = params.get("documentId")
        extensions = params.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = params.get("query")
        if document_id is not None:
            return self._registered(document_id, query)
        if persisted is not None:
            return await self._automatic(persisted, query, params.get("operationName"))
        if self.safelist and isinstance(query, str) and query not in self.manifest.bodies:
            raise _not_in_safelist()
        return query

    def _registered(self, document_id: Any, query: Any) -> str:
        if not isinstance(document_id, str):
            raise PersistedDocumentError("documentId must be a string.", BAD_REQUEST)
        body = self.manifest.by_id.get(document_id)
        if body is None:
            if self.safelist:
                raise _not_in_safelist()
            raise PersistedDocumentError(
                f"No persisted document has the id {document_id!r}.",
                PERSISTED_DOCUMENT_NOT_FOUND,
            )
        if query is not None and query != body:
            raise PersistedDocumentError(
                "The query differs from the document its documentId names.",
                PERSISTED_QUERY_HASH_MISMATCH,
            )
        return body

    async def _automatic(self, persisted: Any, query: Any, operation_name: Any) -> str:
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(digest := persisted.get("sha256Hash"), str)
            or not _SHA256_HEX.match(digest := digest.lower())
        ):
            raise PersistedDocumentError(
                "extensions.persistedQuery must be version 1 with a sha256Hash of 64 hex digits.",
                PERSISTED_QUERY_INVALID,
            )
        if query is None:
            body = self.manifest.by_id.get(digest)
            if body is not None:
                return body
            if self.safelist:
                raise _not_in_safelist()
            if self.apq is None:
                raise _apq_off()
            body = await self.apq.get(digest)
            if body is None:
                # HTTP 200, as Apollo Server and Router answer: clients then send the text.
                raise PersistedDocumentError(
                    "PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND, 200
                )
            return body
        if not isinstance(query, str):
            raise PersistedDocumentError("query must be a string.", BAD_REQUEST)
        if _sha256(query) != digest:
            raise PersistedDocumentError(
                "The query's sha256 is not extensions.persistedQuery.sha256Hash.",
                PERSISTED_QUERY_HASH_MISMATCH,
            )
        if query in self.manifest.bodies:
            return query
        if self.safelist:
            raise _not_in_safelist()
        if self.apq is None:
            raise _apq_off()
        # Only a document that validates is kept: the store holds nothing that cannot run.
        self.check(query, operation_name if isinstance(operation_name, str) else None)
        await self.apq.put(digest, query)
        return query

    async def close(self) -> None:
        if self.apq is not None:
            await self.apq.close()


def _not_in_safelist() -> PersistedDocumentError:
    return PersistedDocumentError(
        "Only registered operations run on this gateway; this one is not registered.",
        PERSISTED_QUERY_NOT_IN_SAFELIST,
    )


def _apq_off() -> PersistedDocumentError:
    return PersistedDocumentError(
        "Automatic persisted queries are off; send the query text.",
        PERSISTED_QUERY_NOT_SUPPORTED,
    )


__all__ = ["Manifest", "PersistedDocumentError", "PersistedDocuments", "load_manifest"]
