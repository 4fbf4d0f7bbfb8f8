"""Where subgraph SDL comes from: a running subgraph's `{ _service { sdl } }`, a file, or a
schema object imported in-process (`subgraphs.population.schema:schema`)."""

from __future__ import annotations

import importlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, graphql_sync

from schema.compose import Subgraph
from schema.subgraphs import PlatformSubgraph

SERVICE_QUERY = "{ _service { sdl } }"


class SourceError(Exception):
    """The SDL of a subgraph could not be had; the message names the subgraph and why."""


def fetch_sdl(
    name: str, url: str, timeout: float = 10.0, headers: Mapping[str, str] | None = None
) -> str:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": SERVICE_QUERY}).encode(),
        headers={
            **(headers or {}),
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise SourceError(f"{name}: cannot fetch the SDL from {url}: {error}") from None
    return _sdl_from_response(name, url, body)


def _sdl_from_response(name: str, where: str, body: Any) -> str:
    try:
        sdl = body["data"]["_service"]["sdl"]
    except (KeyError, TypeError):
        errors = body.get("errors") if isinstance(body, dict) else None
        raise SourceError(f"{name}: {where} answered no _service.sdl: {errors or body}") from None
    if not isinstance(sdl, str):
        raise SourceError(f"{name}: {where} answered a _service.sdl that is not a string")
    return sdl


def sdl_from_object(name: str, dotted: str) -> str:
    """Import `module.path:attribute` and ask the schema object for its subgraph SDL."""
    module_name, _, attribute = dotted.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise SourceError(f"{name}: cannot import {dotted}: {error}") from None
    if isinstance(target, str):
        return target
    if isinstance(target, GraphQLSchema):
        result = graphql_sync(target, SERVICE_QUERY)
        return _sdl_from_response(name, dotted, result.formatted)
    if hasattr(target, "execute_sync"):  # a strawberry schema
        result = target.execute_sync(SERVICE_QUERY)
        return _sdl_from_response(name, dotted, {"data": result.data, "errors": result.errors})
    raise SourceError(f"{name}: {dotted} is neither a schema object nor an SDL string")


def read_sdl_file(name: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceError(f"{name}: cannot read {path}: {error}") from None


def platform_subgraphs(listed: Iterable[PlatformSubgraph]) -> list[Subgraph]:
    """The platform's subgraphs with their SDL taken in-process, no server needed."""
    return [Subgraph(s.name, s.url, sdl_from_object(s.name, s.schema)) for s in listed]
