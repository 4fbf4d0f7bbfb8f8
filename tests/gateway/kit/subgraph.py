"""A generic Federation test subgraph: an SDL string plus plain-Python data, over real HTTP.

    SubgraphData (resolvers, entity resolvers)  +  <name>.graphql
            │ build_subgraph_schema: prelude of federation directives, _Any, _Entity,
            ▼ Query._entities(representations:), Query._service { sdl }
    graphql-core schema ── subgraph_app (Starlette) ── ServerThread (uvicorn, 127.0.0.1:port)
                                  │
                                  └─ records every request; applies the injected Fault

Objects are plain dicts. A dict standing for an object of an abstract type, or returned by an
entity resolver for an interface key, carries its concrete "__typename". A dict value may be
a callable `(info, **args)`, which graphql-core's default resolver calls.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    TypeDefinitionNode,
    build_ast_schema,
    graphql,
    is_abstract_type,
    parse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.gateway.kit.serve import ServerThread

Resolver = Callable[..., Any]
EntityResolver = Callable[[dict[str, Any]], Any]

# Federation 1 and 2 directive definitions, as a subgraph library would add them. A
# definition the subgraph SDL declares itself is not repeated.
_PRELUDE = """
scalar _Any
scalar FieldSet
scalar _FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
type _Service { sdl: String }
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @extends on OBJECT | INTERFACE
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @composeDirective(name: String!) repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION
  | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION
  | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],
  requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
"""


@dataclass
class SubgraphData:
    """What a test subgraph resolves: field resolvers by type, entity resolvers by typename."""

    resolvers: Mapping[str, Mapping[str, Resolver]] = field(default_factory=dict)
    entities: Mapping[str, EntityResolver] = field(default_factory=dict)


@dataclass
class Fault:
    """A fault injected into a subgraph's responses; `when` limits it to matching requests."""

    status: int = 200
    body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    when: Callable[[dict[str, Any]], bool] | None = None
    # edits the real result before it is sent: (request body, result) -> result
    after: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    # the connection is dropped halfway through the answer
    disconnect: bool = False
    # applies to this many matching requests, then the subgraph answers normally again
    times: int | None = None

    @classmethod
    def http(cls, status: int, body: bytes = b"", **kw: Any) -> Fault:
        return cls(status=status, body=body, content_type="text/plain", **kw)

    @classmethod
    def garbage(cls, **kw: Any) -> Fault:
        return cls(body=b"<html>definitely not json", content_type="application/json", **kw)

    @classmethod
    def disconnected(cls, **kw: Any) -> Fault:
        return cls(disconnect=True, **kw)

    @classmethod
    def slow(cls, seconds: float, **kw: Any) -> Fault:
        return cls(delay=seconds, **kw)

    @classmethod
    def respond(cls, payload: Any, **kw: Any) -> Fault:
        return cls(body=json.dumps(payload).encode(), **kw)

    @classmethod
    def entity_null(cls, index: int) -> Fault:
        """Answer `_entities` with null at `index` and no error."""

        def edit(_body: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
            result["data"]["_entities"][index] = None
            return result

        return cls(after=edit, when=is_entities_request)

    @classmethod
    def error_at(cls, path: list[str | int], message: str, **extensions: Any) -> Fault:
        """Null the value at `path` of the real result and report an error there."""

        def edit(_body: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
            node = result["data"]
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = None
            error = {"message": message, "path": path, "extensions": extensions}
            result.setdefault("errors", []).append(error)
            return result

        return cls(after=edit)

    def applies_to(self, body: dict[str, Any]) -> bool:
        return self.when is None or self.when(body)

    def claim(self, body: dict[str, Any]) -> bool:
        """Whether the fault applies to this request, counting it against `times`."""
        if not self.applies_to(body):
            return False
        if self.times is None:
            return True
        self.times -= 1
        return self.times >= 0


def is_entities_request(body: dict[str, Any]) -> bool:
    return "_entities" in (body.get("query") or "")


def _defined_names(doc: DocumentNode) -> set[str]:
    names = set()
    for d in doc.definitions:
        name = getattr(d, "name", None)
        if name is not None and not isinstance(
            d, ObjectTypeExtensionNode | InterfaceTypeExtensionNode
        ):
            names.add(name.value)
    return names


def _promote_orphan_extensions(doc: DocumentNode) -> DocumentNode:
    """Federation 1 subgraphs write `extend type T` for types they do not define."""
    defined = {d.name.value for d in doc.definitions if isinstance(d, TypeDefinitionNode)}
    out = []
    for d in doc.definitions:
        if isinstance(d, ObjectTypeExtensionNode) and d.name.value not in defined:
            d = ObjectTypeDefinitionNode(
                name=d.name, interfaces=d.interfaces, directives=d.directives, fields=d.fields
            )
            defined.add(d.name.value)
        elif isinstance(d, InterfaceTypeExtensionNode) and d.name.value not in defined:
            d = InterfaceTypeDefinitionNode(
                name=d.name, interfaces=d.interfaces, directives=d.directives, fields=d.fields
            )
            defined.add(d.name.value)
        out.append(d)
    return DocumentNode(definitions=tuple(out))


def _entity_type_names(doc: DocumentNode) -> list[str]:
    names: list[str] = []
    for d in doc.definitions:
        is_object = isinstance(d, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
        has_key = is_object and any(x.name.value == "key" for x in d.directives or ())  # type: ignore[attr-defined]
        if has_key and d.name.value not in names:  # type: ignore[attr-defined]
            names.append(d.name.value)  # type: ignore[attr-defined]
    return names


def build_subgraph_schema(sdl: str, data: SubgraphData) -> GraphQLSchema:
    doc = _promote_orphan_extensions(parse(sdl))
    defined = _defined_names(doc)
    prelude = [d for d in parse(_PRELUDE).definitions if d.name.value not in defined]  # type: ignore[attr-defined]
    entity_names = _entity_type_names(doc)
    extra = ["_service: _Service!"]
    if entity_names:
        extra.insert(0, "_entities(representations: [_Any!]!): [_Entity]!")
    root = "extend type Query" if "Query" in defined else "type Query"
    additions = f"{root} {{ {' '.join(extra)} }}\n"
    if entity_names:
        additions += f"union _Entity = {' | '.join(entity_names)}\n"
    full = DocumentNode(definitions=(*prelude, *doc.definitions, *parse(additions).definitions))
    schema = build_ast_schema(full)

    for type_name, fields in data.resolvers.items():
        gql_type = schema.get_type(type_name)
        assert isinstance(gql_type, GraphQLObjectType), f"no object type {type_name!r}"
        for field_name, resolve in fields.items():
            assert field_name in gql_type.fields, f"no field {type_name}.{field_name}"
            gql_type.fields[field_name].resolve = resolve

    # a root field without a resolver would silently answer null: a fixture mistake
    for root in (schema.query_type, schema.mutation_type):
        for field_name, root_field in (root.fields if root else {}).items():
            if field_name not in ("_entities", "_service"):
                assert root_field.resolve is not None, f"no resolver for {root}.{field_name}"

    for gql_type in schema.type_map.values():
        if is_abstract_type(gql_type):
            gql_type.resolve_type = _resolve_type  # type: ignore[attr-defined]

    query_type = schema.query_type
    assert query_type is not None
    query_type.fields["_service"].resolve = lambda _obj, _info: {"sdl": sdl}
    if entity_names:
        query_type.fields["_entities"].resolve = _entities_resolver(data)
    return schema


def _resolve_type(obj: Any, _info: Any, _abstract: Any) -> str | None:
    if isinstance(obj, Mapping):
        return obj.get("__typename")
    return getattr(obj, "__typename", None)


def _entities_resolver(data: SubgraphData) -> Resolver:
    def resolve(_obj: Any, _info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        out = []
        for rep in representations:
            typename = rep.get("__typename")
            resolve_entity = data.entities.get(typename)  # type: ignore[arg-type]
            if resolve_entity is None:
                out.append(GraphQLError(f"no entity resolver for {typename!r}"))
                continue
            entity = resolve_entity(rep)
            if isinstance(entity, Mapping) and "__typename" not in entity:
                entity = {**entity, "__typename": typename}
            out.append(entity)
        return out

    return resolve


class TestSubgraph:
    """A subgraph served over HTTP that records requests and can be told to misbehave."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str, sdl: str, data: SubgraphData) -> None:
        self.name = name
        self.sdl = sdl
        self.schema = build_subgraph_schema(sdl, data)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # lower-cased, one dict per request
        self.fault: Fault | None = None
        self._lock = threading.Lock()
        self._server = ServerThread(self._app())

    @property
    def url(self) -> str:
        return f"{self._server.url}/graphql"

    @property
    def running(self) -> bool:
        return self._server.running

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        """Take the subgraph down: its port is closed until start()."""
        self._server.stop()

    def reset(self) -> None:
        self.fault = None
        with self._lock:
            self.requests.clear()
            self.headers.clear()
        if not self._server.running:
            self._server.start()

    def entity_requests(self) -> list[list[dict[str, Any]]]:
        """The representations of every `_entities` request, in arrival order."""
        with self._lock:
            bodies = list(self.requests)
        return [
            b.get("variables", {}).get("representations", [])
            for b in bodies
            if is_entities_request(b)
        ]

    def root_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [b for b in self.requests if not is_entities_request(b)]

    def _app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"__raw__": raw.decode(errors="replace")}
            with self._lock:
                self.requests.append(body)
                self.headers.append({k.lower(): v for k, v in request.headers.items()})
                fault = self.fault
                faulty = fault is not None and fault.claim(body)
            if fault is not None and faulty:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.disconnect:
                    return _Disconnect()
                if fault.body is not None or fault.status != 200:
                    return Response(
                        fault.body or b"", status_code=fault.status, media_type=fault.content_type
                    )
            result = await graphql(
                self.schema,
                body.get("query") or "",
                variable_values=body.get("variables"),
                operation_name=body.get("operationName"),
            )
            formatted = dict(result.formatted)
            if fault is not None and fault.after is not None and faulty:
                formatted = fault.after(body, formatted)
            return JSONResponse(formatted)

        return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


class _Disconnect(Response):
    """Starts an answer promising more bytes than it sends, then fails: the server drops the
    connection mid-response, as a crashing process or a proxy cut would."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})
        raise ConnectionAbortedError("fault: connection dropped mid-response")
