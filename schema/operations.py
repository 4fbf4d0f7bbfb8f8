"""Client operations to check a schema change against, read from the files clients have.

    *.json              Apollo's persisted query manifest ({"format":
                        "apollo-persisted-query-manifest", "version": 1, "operations":
                        [{"id", "name", "type", "body"}]}) or a JSON object id -> body,
                        the two forms the gateway's GATEWAY_PERSISTED_MANIFEST accepts
    *.jsonl, *.ndjson   an export of recent operations: {"query", "operationName"} a line;
                        repeats are checked once
    *.graphql, *.gql    one or more operations with their fragments

Each operation becomes a document of its own (the operation and the fragments it spreads),
so it is validated as the gateway would validate a request for it. Its id is the manifest's
id, or the sha256 of its text elsewhere (what Apollo's tools use as a persisted id).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
)

_APOLLO_FORMAT = "apollo-persisted-query-manifest"


class OperationsError(Exception):
    """An operations file cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class Operation:
    id: str
    name: str | None
    source: str  # the file, and the line or manifest id, it came from
    document: DocumentNode  # the operation and the fragments it spreads

    def label(self) -> str:
        return f"{self.name or '(anonymous)'} [{self.id}]"


def read_operations(path: Path) -> list[Operation]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OperationsError(f"{path}: cannot be read: {error.strerror}") from None
    suffix = path.suffix.lower()
    if suffix in (".graphql", ".gql"):
        return _from_graphql(path, text)
    if suffix in (".jsonl", ".ndjson"):
        return _from_json_lines(path, text)
    if suffix == ".json":
        return _from_manifest(path, text)
    raise OperationsError(
        f"{path}: unknown kind of operations file; name it .json (a persisted query "
        "manifest), .jsonl (an export, one request a line) or .graphql"
    )


def _from_graphql(path: Path, text: str) -> list[Operation]:
    document = _parse(text, str(path))
    operations = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            single = _single(document, definition)
            name = definition.name.value if definition.name else None
            operations.append(Operation(_sha256(print_ast(single)), name, str(path), single))
    if not operations:
        raise OperationsError(f"{path}: has no operation")
    return operations


def _from_json_lines(path: Path, text: str) -> list[Operation]:
    operations = []
    seen: set[tuple[str, str | None]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except ValueError as error:
            raise OperationsError(f"{where}: is not JSON: {error}") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("query"), str):
            raise OperationsError(f'{where}: expected an object with a "query" string')
        name = entry.get("operationName")
        if name is not None and not isinstance(name, str):
            raise OperationsError(f"{where}: operationName must be a string")
        if (entry["query"], name) in seen:
            continue
        seen.add((entry["query"], name))
        operations.append(_one(entry["query"], name, _sha256(entry["query"]), where))
    return operations


def _from_manifest(path: Path, text: str) -> list[Operation]:
    try:
        document: Any = json.loads(text)
    except ValueError as error:
        raise OperationsError(f"{path}: is not JSON: {error}") from None
    entries: list[tuple[Any, Any, Any]]
    if isinstance(document, dict) and "operations" in document:
        if document.get("format") != _APOLLO_FORMAT or document.get("version") != 1:
            raise OperationsError(f'{path}: is not an "{_APOLLO_FORMAT}" of version 1')
        listed = document["operations"]
        if not isinstance(listed, list) or not all(isinstance(o, dict) for o in listed):
            raise OperationsError(f"{path}: operations must be a list of objects")
        entries = [(o.get("id"), o.get("name"), o.get("body")) for o in listed]
    elif isinstance(document, dict):
        entries = [(key, None, body) for key, body in document.items()]
    else:
        raise OperationsError(f"{path}: must be an Apollo manifest or a JSON object id -> body")
    operations = []
    for document_id, name, body in entries:
        if not isinstance(document_id, str) or not document_id:
            raise OperationsError(f"{path}: an operation has no id: {document_id!r}")
        if not isinstance(body, str):
            raise OperationsError(f"{path}: operation {document_id!r} has no body")
        if name is not None and not isinstance(name, str):
            raise OperationsError(f"{path}: operation {document_id!r}: name must be a string")
        operations.append(_one(body, name, document_id, f"{path} id {document_id}"))
    return operations


def _one(text: str, name: str | None, operation_id: str, where: str) -> Operation:
    """The operation `name` of `text` (the only one when `name` is None)."""
    document = _parse(text, where)
    candidates = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (name is None or (d.name is not None and d.name.value == name))
    ]
    if len(candidates) != 1:
        wanted = f"an operation named {name!r}" if name else "exactly one operation"
        raise OperationsError(f"{where}: the document does not have {wanted}")
    operation = candidates[0]
    found = operation.name.value if operation.name else None
    return Operation(operation_id, found, where, _single(document, operation))


def _parse(text: str, where: str) -> DocumentNode:
    try:
        return parse(text)
    except GraphQLSyntaxError as error:
        raise OperationsError(f"{where}: does not parse: {error.message}") from None


def _single(document: DocumentNode, operation: OperationDefinitionNode) -> DocumentNode:
    """`operation` with the fragments it spreads, directly or through other fragments."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    needed: list[str] = []
    pending: list[Node] = [operation]
    while pending:
        for name in _spreads(pending.pop()):
            if name not in needed and name in fragments:
                needed.append(name)
                pending.append(fragments[name])
    kept = [d for d in document.definitions if d is operation or _name_in(d, needed)]
    return DocumentNode(definitions=tuple(kept))


def _name_in(definition: Node, names: list[str]) -> bool:
    return isinstance(definition, FragmentDefinitionNode) and definition.name.value in names


def _spreads(node: Node) -> list[str]:
    found: list[str] = []
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, FragmentSpreadNode):
            found.append(current.name.value)
        selection_set = getattr(current, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return found


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
