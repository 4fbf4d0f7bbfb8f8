"""`supergraph.yaml`, the composition config rover reads: which subgraphs, where their SDL is.

    federation_version: =2.7.1            # optional; 2, =2.x.y or 2.x.y
    subgraphs:
      tax:
        routing_url: http://tax.internal/graphql       # what the gateway calls
        schema:
          file: ./tax.graphql                          # relative to this file
      population:
        schema:                                        # routing_url defaults to subgraph_url
          subgraph_url: http://127.0.0.1:4101/graphql  # fetched with { _service { sdl } }
          introspection_headers: {Authorization: Bearer ...}
      business:
        routing_url: http://business.internal/graphql
        schema:
          sdl: "type Query { ... }"

The whole file is checked before any SDL is read, so a typo is reported before a network
call; every error names the key at fault (`subgraphs.tax.schema.file`). A `graphref` (a
subgraph fetched from Apollo GraphOS) is refused: this platform has no registry to ask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from schema.compose import Subgraph
from schema.sources import SourceError, fetch_sdl, read_sdl_file

# rover's forms, Federation 2 only: "2", "=2.7.1", "2.7.1", "=2.8.0-preview.1".
_FEDERATION_2 = re.compile(r"^=?2(\.\d+(\.\d+(-[0-9A-Za-z.-]+)?)?)?$")
_TOP_KEYS = frozenset({"federation_version", "subgraphs"})
_SUBGRAPH_KEYS = frozenset({"routing_url", "schema"})
_SCHEMA_KINDS = ("file", "subgraph_url", "sdl", "graphref")
_SCHEMA_EXTRAS = {"subgraph_url": {"introspection_headers"}, "graphref": {"subgraph"}}


class ConfigError(SourceError):
    """The config cannot be used; the message names the file and the key at fault."""


@dataclass(frozen=True)
class _Entry:
    name: str
    routing_url: str
    kind: str  # one of _SCHEMA_KINDS but graphref
    value: str
    headers: Mapping[str, str]


def read_config(path: Path) -> list[Subgraph]:
    """The subgraphs `path` lists, their SDL read or fetched; ConfigError when it cannot."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: is not YAML: {error}") from None
    entries = _entries(path, document)
    return [_subgraph(path, entry) for entry in entries]


def _entries(path: Path, document: Any) -> list[_Entry]:
    def fail(at: str, problem: str) -> ConfigError:
        return _error(path, at, problem)

    if not isinstance(document, dict):
        raise ConfigError(f"{path}: must be a mapping with a `subgraphs` key")
    unknown = sorted(map(str, set(document) - _TOP_KEYS))
    if unknown:
        raise fail(unknown[0], f"unknown key (expected {', '.join(sorted(_TOP_KEYS))})")
    version = document.get("federation_version")
    if version is not None and not _FEDERATION_2.match(str(version)):
        raise fail(
            "federation_version",
            f"{version!r} is not supported: this composer composes Federation 2 "
            "(write 2 or =2.x.y)",
        )
    subgraphs = document.get("subgraphs")
    if not isinstance(subgraphs, dict) or not subgraphs:
        raise fail("subgraphs", "must be a mapping of subgraph names to their config")
    entries = []
    for name, config in subgraphs.items():
        key = f"subgraphs.{name}"
        if not isinstance(config, dict):
            raise fail(key, "must be a mapping with `routing_url` and `schema`")
        unknown = sorted(map(str, set(config) - _SUBGRAPH_KEYS))
        if unknown:
            raise fail(f"{key}.{unknown[0]}", "unknown key (expected routing_url, schema)")
        entries.append(_entry(path, str(name), config))
    return entries


def _entry(path: Path, name: str, config: dict[Any, Any]) -> _Entry:
    key = f"subgraphs.{name}"

    def fail(at: str, problem: str) -> ConfigError:
        return _error(path, at, problem)

    schema = config.get("schema")
    if not isinstance(schema, dict):
        raise fail(f"{key}.schema", f"must be a mapping with one of {', '.join(_SCHEMA_KINDS)}")
    kinds = [kind for kind in _SCHEMA_KINDS if kind in schema]
    if len(kinds) != 1:
        found = f"found {', '.join(kinds)}" if kinds else "found none"
        raise fail(f"{key}.schema", f"needs exactly one of {', '.join(_SCHEMA_KINDS)}; {found}")
    kind = kinds[0]
    allowed = {kind} | _SCHEMA_EXTRAS.get(kind, set())
    unknown = sorted(map(str, set(schema) - allowed))
    if unknown:
        raise fail(f"{key}.schema.{unknown[0]}", f"unknown key for a `{kind}` schema")
    if kind == "graphref":
        raise fail(
            f"{key}.schema.graphref",
            "subgraphs fetched from Apollo GraphOS are not supported; "
            "use file, subgraph_url or sdl",
        )
    value = schema[kind]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{key}.schema.{kind}", "must be a non-empty string")
    headers = schema.get("introspection_headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(h, str) and isinstance(v, str) for h, v in headers.items()
    ):
        raise fail(f"{key}.schema.introspection_headers", "must map header names to strings")
    routing_url = config.get("routing_url", value if kind == "subgraph_url" else None)
    if routing_url is None:
        raise fail(f"{key}.routing_url", f"is required for a `{kind}` schema")
    if not isinstance(routing_url, str) or not routing_url.strip():
        raise fail(f"{key}.routing_url", "must be a non-empty string")
    return _Entry(name, routing_url, kind, value, headers)


def _error(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {problem}")


def _subgraph(path: Path, entry: _Entry) -> Subgraph:
    where = f"{path}: subgraphs.{entry.name}.schema.{entry.kind}"
    try:
        if entry.kind == "file":
            sdl = read_sdl_file(entry.name, path.parent / entry.value)
        elif entry.kind == "subgraph_url":
            sdl = fetch_sdl(entry.name, entry.value, headers=entry.headers)
        else:
            sdl = entry.value
    except SourceError as error:
        raise ConfigError(f"{where}: {error}") from None
    return Subgraph(entry.name, entry.routing_url, sdl)
