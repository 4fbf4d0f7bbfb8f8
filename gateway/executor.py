"""Stage 4: run a query plan, merging every subgraph's answer into one tree.

Per request everything is plain dicts and lists. `Flatten` nodes find their entities by
walking the tree along the plan path, build one deduplicated batch of representations per
fetch, and merge each `_entities` result into every object it stands for. Errors of
subgraphs are moved to the client path of the object they concern; a failed fetch leaves
what other fetches returned in place, and its error goes to the field it was to provide:
`["me", "taxes"]`, not `["me"]` (one per entity, as Apollo Router reports them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from opentelemetry.trace import SpanKind, Status, StatusCode

from gateway import tracing
from gateway.identity import RequestIdentity
from gateway.plan import Fetch, Flatten, Parallel, PlanNode, QueryPlan, Sequence
from gateway.selection import Field, InlineFragment, SelectionSet
from gateway.transport import SubgraphResponse, Transport


@dataclass
class ExecutionState:
    variables: Mapping[str, Any]
    headers: Mapping[str, str]
    # Sharing identical in-flight subgraph reads is safe for queries only: after a mutation,
    # a read started earlier by another client could miss this client's own write.
    deduplicate: bool = True
    # Signs the identity each subgraph request carries; None sends none (a gateway without
    # identity tokens, e.g. in front of subgraphs that ignore them).
    identity: RequestIdentity | None = None
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


class Executor:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def execute(self, plan: QueryPlan, state: ExecutionState) -> None:
        if plan.node is not None:
            await self._run(plan.node, state)

    async def _run(self, node: PlanNode, state: ExecutionState) -> None:
        if isinstance(node, Fetch):
            await self._root_fetch(node, state)
        elif isinstance(node, Flatten):
            await self._entity_fetch(node, state)
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self._run(child, state)
        elif isinstance(node, Parallel):
            await asyncio.gather(*(self._run(child, state) for child in node.nodes))

    def _body(self, fetch: Fetch, state: ExecutionState) -> dict[str, Any]:
        variables = {n: state.variables[n] for n in fetch.variable_usages if n in state.variables}
        return {"query": fetch.operation, "variables": variables}

    async def _send(
        self, fetch: Fetch, body: dict[str, Any], state: ExecutionState, *, deduplicate: bool
    ) -> SubgraphResponse:
        authorization = share_key = None
        if state.identity is not None:
            authorization = partial(state.identity.authorization, fetch.service_name)
            share_key = state.identity.share_key
        if not tracing.enabled:
            return await self.transport.send(
                fetch.service_name,
                fetch.url,
                body,
                state.headers,
                deduplicate=deduplicate,
                authorization=authorization,
                share_key=share_key,
                retry=fetch.operation_kind == "query",
            )
        with tracing.tracer.start_as_current_span(
            f"subgraph {fetch.service_name}", kind=SpanKind.CLIENT
        ) as span:
            if span.is_recording():
                span.set_attribute("graphql.federation.subgraph.name", fetch.service_name)
                span.set_attribute("graphql.operation.type", fetch.operation_kind)
                if "representations" in body["variables"]:
                    span.set_attribute(
                        "graphql.federation.representations",
                        len(body["variables"]["representations"]),
                    )
            response = await self.transport.send(
                fetch.service_name,
                fetch.url,
                body,
                tracing.outgoing_headers(state.headers),
                deduplicate=deduplicate,
                authorization=authorization,
                share_key=share_key,
                retry=fetch.operation_kind == "query",
            )
            if not response.delivered:
                span.set_status(Status(StatusCode.ERROR, response.errors[0]["message"]))
            return response

    async def _root_fetch(self, fetch: Fetch, state: ExecutionState) -> None:
        response = await self._send(
            fetch,
            self._body(fetch, state),
            state,
            deduplicate=state.deduplicate and fetch.operation_kind == "query",
        )
        if response.data:
            _merge(state.data, _unalias(response.data) if fetch.unalias else response.data)
        if not response.delivered:
            first_key = _first_response_key(fetch.selection_set)
            for error in response.errors:
                state.errors.append({**error, "path": [first_key]} if first_key else error)
            return
        state.errors.extend(response.errors)

    async def _entity_fetch(self, flatten: Flatten, state: ExecutionState) -> None:
        fetch = flatten.node
        assert fetch.requires is not None
        requires = fetch.requires.memo.get(_BY_TYPE)
        if requires is None:
            requires = fetch.requires.memo[_BY_TYPE] = _by_type(fetch.requires)
        representations: list[dict[str, Any]] = []
        targets: list[list[dict[str, Any]]] = []
        index_of: dict[bytes, int] = {}
        for path in flatten.paths:
            for entity in _collect(state.data, path):
                typename = entity.get("__typename")
                selection = requires.get(typename) if isinstance(typename, str) else None
                if selection is None:
                    continue
                representation = _representation(entity, selection)
                if representation is None:
                    continue
                rewrite = fetch.typename_rewrites.get(typename)  # type: ignore[arg-type]
                if rewrite is not None:
                    representation["__typename"] = rewrite
                identity = orjson.dumps(representation)
                index = index_of.get(identity)
                if index is None:
                    index = index_of[identity] = len(representations)
                    representations.append(representation)
                    targets.append([])
                targets[index].append(entity)
        if not representations:
            return
        body = self._body(fetch, state)
        body["variables"]["representations"] = representations
        response = await self._send(fetch, body, state, deduplicate=state.deduplicate)
        results = (response.data or {}).get("_entities")
        if fetch.unalias and isinstance(results, list):
            results = _unalias(results)
        if isinstance(results, list):
            for index, result in enumerate(results[: len(targets)]):
                if isinstance(result, dict):
                    for entity in targets[index]:
                        _merge(entity, result)
        if response.errors:
            self._place_errors(response, targets, flatten.paths, fetch.selection_set, state)

    def _place_errors(
        self,
        response: SubgraphResponse,
        targets: list[list[dict[str, Any]]],
        paths: tuple[tuple[str, ...], ...],
        fetch_selection: SelectionSet,
        state: ExecutionState,
    ) -> None:
        """Give each error the client path of the entity it concerns (computed only now, as
        errors are rare and the paths cost a second walk)."""
        if not response.delivered:
            # The request failed as a whole: every entity lacks the fields it was to bring.
            sent = {id(entity) for group in targets for entity in group}
            for path in paths:
                for entity, entity_path in _collect_with_paths(state.data, path):
                    if id(entity) in sent:
                        key = _first_key_for(fetch_selection, entity.get("__typename"))
                        at = [*entity_path, key] if key is not None else entity_path
                        state.errors.extend({**error, "path": at} for error in response.errors)
            return
        where = {
            id(entity): entity_path
            for path in paths
            for entity, entity_path in _collect_with_paths(state.data, path)
        }
        for error in response.errors:
            error_path = error.get("path")
            if (
                isinstance(error_path, list)
                and len(error_path) >= 2
                and error_path[0] == "_entities"
                and isinstance(error_path[1], int)
                and 0 <= error_path[1] < len(targets)
            ):
                for entity in targets[error_path[1]][:1]:
                    state.errors.append({**error, "path": where[id(entity)] + error_path[2:]})
                continue
            first = next((where[id(group[0])] for group in targets if group), None)
            if first is not None and error_path is not None:
                state.errors.append({**error, "path": first})
            else:
                state.errors.append({k: v for k, v in error.items() if k != "path"})


# Key of the representation selections by type, memoised on the plan's `requires` (the
# plan is cached, so this is worked out once per fetch, not per request).
_BY_TYPE = ("representation selections by type",)


def _first_response_key(selection_set: SelectionSet) -> str | None:
    """The client's name of the first field a fetch selects (`__typename` is the planner's)."""
    for item in selection_set.items:
        if isinstance(item, Field) and item.name != "__typename":
            original, marker, number = item.response_key.rpartition("__alias_")
            return original if marker and number.isdigit() else item.response_key
    return None


def _first_key_for(selection_set: SelectionSet, typename: Any) -> str | None:
    """The first field an entity fetch selects for an entity of `typename`: its fragment on
    that type, else the first fragment (an interface's, say) that selects a field."""
    fragments = [item for item in selection_set.items if isinstance(item, InlineFragment)]
    for fragment in sorted(fragments, key=lambda f: f.type_condition != typename):
        key = _first_response_key(fragment.selection_set)
        if key is not None:
            return key
    return _first_response_key(selection_set)


def _by_type(requires: SelectionSet) -> dict[str | None, SelectionSet]:
    return {
        getattr(item, "type_condition", None): item.selection_set
        for item in requires.items
        if item.selection_set is not None
    }


def _representation(entity: dict[str, Any], selection: SelectionSet) -> dict[str, Any] | None:
    """Project an entity onto the representation selection; None if a key field is missing."""
    representation: dict[str, Any] = {}
    for item in selection.items:
        if not isinstance(item, Field):
            continue
        if item.response_key not in entity:
            return None
        value = entity[item.response_key]
        if item.selection_set is not None and value is not None:
            value = _project(value, item.selection_set)
        representation[item.name] = value
    return representation


def _project(value: Any, selection: SelectionSet) -> Any:
    if isinstance(value, list):
        return [_project(v, selection) for v in value]
    if not isinstance(value, dict):
        return value
    projected: dict[str, Any] = {}
    typename = value.get("__typename")
    for item in selection.items:
        if isinstance(item, Field):
            if item.response_key in value:
                inner = value[item.response_key]
                projected[item.name] = (
                    _project(inner, item.selection_set) if item.selection_set else inner
                )
        elif item.type_condition is None or item.type_condition == typename:
            projected.update(_project(value, item.selection_set))
    return projected


def _collect(data: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    current: list[Any] = [data]
    for step in path:
        following: list[Any] = []
        if step == "@":
            for value in current:
                if isinstance(value, list):
                    following.extend(value)
        else:
            for value in current:
                if isinstance(value, dict):
                    inner = value.get(step)
                    if inner is not None:
                        following.append(inner)
        current = following
    return [value for value in current if isinstance(value, dict)]


def _collect_with_paths(
    data: dict[str, Any], path: tuple[str, ...]
) -> list[tuple[dict[str, Any], list[str | int]]]:
    current: list[tuple[Any, list[str | int]]] = [(data, [])]
    for step in path:
        following: list[tuple[Any, list[str | int]]] = []
        for value, at in current:
            if step == "@":
                if isinstance(value, list):
                    following.extend((item, [*at, i]) for i, item in enumerate(value))
            elif isinstance(value, dict) and value.get(step) is not None:
                following.append((value[step], [*at, step]))
        current = following
    return [(value, at) for value, at in current if isinstance(value, dict)]


def _unalias(value: Any) -> Any:
    """Rename `<key>__alias_<n>` keys back to `<key>` (the planner's way round a subgraph
    refusing one key for fields of different types in sibling fragments)."""
    if isinstance(value, list):
        return [_unalias(item) for item in value]
    if not isinstance(value, dict):
        return value
    renamed: dict[str, Any] = {}
    for key, inner in value.items():
        original, marker, number = key.rpartition("__alias_")
        renamed[original if marker and number.isdigit() else key] = _unalias(inner)
    return renamed


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            _merge_lists(existing, value)
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, value in enumerate(source):
        existing = target[index]
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            _merge_lists(existing, value)
        else:
            target[index] = value
