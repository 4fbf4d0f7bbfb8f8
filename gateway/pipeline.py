"""The gateway as one object: stages wired together, with the caches between them.

    request ─▶ prepare (parse + validate, cached per document and operation name)
            ─▶ coerce variables ─▶ normalise (cached per @skip/@include values)
            ─▶ cost (computed once per normalised operation; refused over budget)
            ─▶ authorize (the requirements the caller fails: the outcome)
            ─▶ plan (cached per @override labels and outcome) ─▶ execute ─▶ shape the response
            ─▶ record disclosures (when configured; the response waits for the record)

Everything that depends only on the supergraph and the document is cached, so a repeated
request does no schema walk: it costs three dict lookups before the subgraph requests, plus
one set test per authorization requirement the operation touches.
"""

from __future__ import annotations

import random
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import ExecutionResult, GraphQLError, execute
from graphql.execution.values import get_variable_values

from gateway.api_schema import build_api_schema
from gateway.authentication import ANONYMOUS, Authenticator, Caller
from gateway.authorization import (
    ALLOWED,
    Authorizer,
    OperationChecks,
    Outcome,
    PolicyHook,
    granted_policies,
    load_policy_hook,
)
from gateway.cost import CostControl
from gateway.disclosure import Disclosures
from gateway.errors import BAD_USER_INPUT, QUERY_PLANNING_FAILED, PlanningError, SupergraphError
from gateway.executor import ExecutionState, Executor
from gateway.exposure import Exposure
from gateway.identity import IdentitySigner, load_or_create_key
from gateway.limits import RequestLimits
from gateway.operation import Operation, PreparedDocument, RequestError, normalise, prepare
from gateway.persisted import PersistedDocuments
from gateway.plan import QueryPlan
from gateway.planner import plan_operation
from gateway.ratelimit import RateLimiter
from gateway.resilience import FaultPolicy
from gateway.response import ResponseShaper
from gateway.selection import SelectionSet
from gateway.settings import GatewaySettings
from gateway.supergraph import parse_supergraph, with_subgraph_urls
from gateway.transport import Transport

_PERCENT_LABEL = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")
# Bytes a cache entry takes, fixed and per character of its query: fitted to tracemalloc
# measurements of the benchmarks' operations and introspection, 50 to 10,000 characters
# (docs/security.md, "Request limits"). A document parsed and validated; one normalised
# operation or plan cached on it; a refused document's errors (with locations, up to 100).
_DOCUMENT_BYTES = 16_384
_DOCUMENT_BYTES_PER_CHARACTER = 52
_PLAN_BYTES = 4_096
_PLAN_BYTES_PER_CHARACTER = 56
_ERROR_BYTES = 8_192
_ERROR_BYTES_PER_CHARACTER = 150


@dataclass(frozen=True, slots=True)
class PlannedOperation:
    operation: Operation
    plan: QueryPlan
    shaped: SelectionSet  # what the response shows: the client's selection, denials marked


@dataclass
class _Normalised:
    """One normalised operation (per @skip/@include values) and what is cached beside it."""

    operation: Operation
    checks: OperationChecks | None  # None: no authorization requirement touched
    # The document it is cached on, whose cache entry pays for its plans; None: not cached.
    document: PreparedDocument | None = None
    plans: dict[tuple[frozenset[str], Outcome], PlannedOperation | PlanningError] = field(
        default_factory=dict
    )


class _DocumentCache:
    """Prepared documents (or their RequestError) by (query, operation name), the least
    recently used evicted first once the entries' estimated bytes pass the budget or their
    number passes `size`.

    An entry's bytes are estimated from its query's length, by factors measured with
    tracemalloc (docs/security.md, "Request limits"): the parsed document when it is put,
    then each normalised operation or plan cached on it as it comes, up to `max_plans`. A
    hit costs what an OrderedDict hit costs; only the misses do the accounting.
    """

    def __init__(self, budget: int, size: int, max_plans: int) -> None:
        self.budget = budget
        self.size = size
        self.max_plans = max_plans
        self.bytes = 0
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.entries: dict[Any, _CacheEntry] = {}
        # Plans are charged to a document, not a key: a value's id names its key while the
        # value is cached (ids are unique among live objects; the entry is dropped with it).
        self.keys: dict[int, Any] = {}

    def get(self, key: Any) -> Any:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any, query_length: int) -> None:
        """Cache `value`, unless it alone would take a tenth of the budget: one huge document
        is answered, but must not evict everything else."""
        if isinstance(value, RequestError):
            cost = _ERROR_BYTES + query_length * _ERROR_BYTES_PER_CHARACTER
        else:
            cost = _DOCUMENT_BYTES + query_length * _DOCUMENT_BYTES_PER_CHARACTER
        if cost > self.budget // 10 or key in self.items:
            return
        self.items[key] = value
        self.entries[key] = _CacheEntry(cost, query_length * _PLAN_BYTES_PER_CHARACTER)
        self.keys[id(value)] = key
        self.bytes += cost
        self._evict(key)

    def charge(self, document: PreparedDocument) -> bool:
        """Account one more normalised operation or plan on `document`: False when it must not
        be cached (the document is not cached, has its `max_plans`, or would not fit)."""
        key = self.keys.get(id(document))
        if key is None:
            return False
        entry = self.entries[key]
        if entry.plans >= self.max_plans:
            return False
        entry.plans += 1
        entry.bytes += entry.plan_bytes + _PLAN_BYTES
        self.bytes += entry.plan_bytes + _PLAN_BYTES
        return self._evict(key)

    def _evict(self, keep: Any) -> bool:
        """Evict the least recently used entries, never `keep`, until the budget holds; if
        `keep` alone is over it, take back its last charge and answer False."""
        while self.bytes > self.budget or len(self.items) > self.size:
            oldest = next(iter(self.items))
            if oldest == keep:
                if len(self.items) == 1:
                    entry = self.entries[keep]
                    entry.plans -= 1
                    entry.bytes -= entry.plan_bytes + _PLAN_BYTES
                    self.bytes -= entry.plan_bytes + _PLAN_BYTES
                    return False
                self.items.move_to_end(keep)
                continue
            value = self.items.pop(oldest)
            del self.keys[id(value)]
            self.bytes -= self.entries.pop(oldest).bytes
        return True


@dataclass(slots=True)
class _CacheEntry:
    bytes: int
    plan_bytes: int  # what one more normalised operation or plan is estimated to add
    plans: int = 0


class Gateway:
    """Serve one supergraph. `start()` inside the event loop before `execute`, `close()` after."""

    def __init__(self, supergraph_sdl: str, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()
        supergraph = parse_supergraph(supergraph_sdl)
        try:
            self.supergraph = with_subgraph_urls(supergraph, self.settings.subgraph_urls)
        except SupergraphError as error:
            raise SupergraphError(f"GATEWAY_SUBGRAPH_URLS: {error}") from None
        self.api_schema = build_api_schema(self.supergraph)
        self.shaper = ResponseShaper(self.api_schema)
        self.limits = RequestLimits.from_settings(self.settings)
        self.documents = _DocumentCache(
            self.settings.document_cache_bytes,
            self.settings.document_cache_size,
            self.settings.max_plans_per_document,
        )
        self.exposure = Exposure.from_settings(self.settings)
        self.percent_labels = self._percent_labels()
        self.authenticator = Authenticator(self.settings)
        self.identity = IdentitySigner(
            load_or_create_key(self.settings.identity_key_dir),
            issuer=self.settings.identity_issuer,
            ttl=self.settings.identity_ttl,
            forwarded_claims=tuple(self.settings.identity_claims),
        )
        self.authorizer = Authorizer.build(self.supergraph)
        self.cost = CostControl.build(self.supergraph, self.settings)
        self.policy_hook = self._policy_hook()
        self.disclosures = Disclosures.build(
            self.supergraph, self.settings, self.shaper.possible_types
        )
        self.persisted = PersistedDocuments(self.settings, self.prepare)
        self.rate_limits = RateLimiter(self.settings)
        self.transport: Transport | None = None
        self.executor: Executor | None = None

    async def start(self) -> None:
        self.transport = Transport(
            timeout=self.settings.subgraph_timeout,
            timeouts=self.settings.subgraph_timeouts,
            max_connections_per_subgraph=self.settings.max_connections_per_subgraph,
            deduplicate=self.settings.deduplicate_subgraph_queries,
            faults=FaultPolicy.from_settings(self.settings),
        )
        self.executor = Executor(self.transport)
        await self.authenticator.start()

    async def close(self) -> None:
        await self.authenticator.close()
        await self.persisted.close()
        await self.rate_limits.close()
        if self.disclosures is not None:
            await self.disclosures.close()
        if self.transport is not None:
            await self.transport.close()

    def prepare(self, query: str, operation_name: str | None) -> PreparedDocument:
        """Parse and validate, cached; raises RequestError (also cached) when invalid."""
        key = (query, operation_name)
        cached = self.documents.get(key)
        if cached is None:
            try:
                cached = prepare(self.api_schema, query, operation_name, self.limits)
                self.exposure.refuse_introspection(cached)
            except RequestError as error:
                cached = self.exposure.request_error(error)
            self.documents.put(key, cached, len(query))
        if isinstance(cached, RequestError):
            raise cached
        assert isinstance(cached, PreparedDocument)
        return cached

    def coerce_variables(
        self, prepared: PreparedDocument, raw: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        coerced = get_variable_values(
            self.api_schema, prepared.operation.variable_definitions, dict(raw or {})
        )
        if isinstance(coerced, list):
            raise self.exposure.request_error(
                RequestError(
                    [{**e.formatted, "extensions": {"code": BAD_USER_INPUT}} for e in coerced]
                )
            )
        return coerced

    def normalised(self, prepared: PreparedDocument, variables: Mapping[str, Any]) -> _Normalised:
        key = prepared.condition_key(variables)
        normalised: _Normalised | None = prepared.by_conditions.get(key)
        if normalised is None:
            operation = normalise(self.api_schema, prepared, variables)
            checks = None if self.authorizer is None else self.authorizer.check(operation)
            normalised = _Normalised(operation, checks)
            if self.documents.charge(prepared):
                normalised.document = prepared
                prepared.by_conditions[key] = normalised
        return normalised

    def plan(
        self,
        prepared: PreparedDocument,
        variables: Mapping[str, Any],
        labels: frozenset[str] = frozenset(),
        outcome: Outcome = ALLOWED,
    ) -> PlannedOperation:
        return self._plan(self.normalised(prepared, variables), labels, outcome)

    def _plan(
        self, normalised: _Normalised, labels: frozenset[str], outcome: Outcome
    ) -> PlannedOperation:
        key = (labels, outcome)
        planned = normalised.plans.get(key)
        if planned is None:
            operation = normalised.operation
            shaped = operation.selection_set
            if outcome:
                assert normalised.checks is not None, "an outcome comes from the checks"
                authorized = normalised.checks.authorize(outcome)
                operation = replace(operation, selection_set=authorized.planned)
                shaped = authorized.shaped
            if self.disclosures is not None:
                keyed = self.disclosures.with_keys(operation.selection_set, operation.root_type)
                operation = replace(operation, selection_set=keyed)
            try:
                planned = PlannedOperation(
                    normalised.operation,
                    plan_operation(self.supergraph, operation, labels),
                    shaped,
                )
            except PlanningError as error:
                # Cached too: an operation that cannot be planned must not cost a planning
                # attempt (with its trial plans) on every request.
                planned = error
            if normalised.document is not None and self.documents.charge(normalised.document):
                normalised.plans[key] = planned
        if isinstance(planned, PlanningError):
            raise planned
        return planned

    async def outcome(self, checks: OperationChecks, caller: Caller) -> Outcome:
        """The requirements of the operation `caller` fails, asking the policy hook about the
        operation's policies if it has any."""
        granted: frozenset[str] = frozenset()
        if checks.policies:
            assert self.policy_hook is not None, "a supergraph using @policy needs the hook"
            granted = await granted_policies(self.policy_hook, caller.claims, checks.policies)
        return checks.outcome(caller, granted)

    def enabled_labels(self) -> frozenset[str]:
        fixed = frozenset(self.settings.override_labels)
        if not self.percent_labels:
            return fixed
        return fixed | frozenset(
            label
            for label, percent in self.percent_labels.items()
            if random.random() * 100 < percent
        )

    async def execute(
        self,
        prepared: PreparedDocument,
        raw_variables: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        *,
        caller: Caller = ANONYMOUS,
        include_plan: bool = False,
        trace_id: str | None = None,
    ) -> dict[str, Any]:
        """Run a prepared operation for `caller`; request errors raise RequestError, the rest
        are values. With disclosures on, raises DisclosureUnavailable when what the response
        discloses cannot be recorded."""
        assert self.executor is not None, "Gateway.start() was not awaited"
        variables = self.coerce_variables(prepared, raw_variables)
        normalised = self.normalised(prepared, variables)
        # Refused over budget (RequestError) before the policy hook, planning or any fetch.
        cost = None if self.cost is None else self.cost.check(normalised.operation, variables)
        outcome = ALLOWED
        if normalised.checks is not None:
            outcome = await self.outcome(normalised.checks, caller)
            if outcome and self.settings.reject_unauthorized:
                return normalised.checks.authorize(outcome).rejection()
        try:
            planned = self._plan(normalised, self.enabled_labels(), outcome)
        except PlanningError as error:
            return {
                "data": None,
                "errors": [{"message": str(error), "extensions": {"code": QUERY_PLANNING_FAILED}}],
            }
        # Variables go to subgraphs as the client sent them: each subgraph operation declares
        # the client's defaults, and coerced values need not be JSON.
        state = ExecutionState(
            raw_variables or {},
            headers,
            deduplicate=planned.operation.kind == "query",
            identity=self.identity.for_request(caller, trace_id),
        )
        await self.executor.execute(planned.plan, state)
        introspection = None
        if planned.operation.introspection is not None:
            result = execute(
                self.api_schema,
                planned.operation.introspection,
                variable_values=dict(raw_variables or {}),
            )
            assert isinstance(result, ExecutionResult), "introspection resolves synchronously"
            introspection = result.data
            state.errors.extend(dict(e.formatted) for e in result.errors or ())
        data = self.shaper.shape(
            planned.shaped,
            planned.operation.root_type,
            state.data,
            state.errors,
            introspection,
        )
        if self.disclosures is not None and data is not None:
            await self.disclosures.record(
                planned.shaped,
                planned.operation.root_type,
                data,
                state.data,
                state.errors,
                caller.claims,
                caller.scopes,
                trace_id,
            )
        response: dict[str, Any] = {}
        if state.errors:
            response["errors"] = self.exposure.response_errors(state.errors, trace_id)
        response["data"] = data
        if include_plan:
            response["extensions"] = {
                "queryPlan": {"json": planned.plan.to_json(), "text": str(planned.plan)}
            }
        if cost is not None:
            response.setdefault("extensions", {})["cost"] = cost
        return response

    def _policy_hook(self) -> PolicyHook | None:
        if self.settings.policy_hook is not None:
            return load_policy_hook(self.settings.policy_hook)
        if self.authorizer is not None and self.authorizer.uses_policies:
            raise SupergraphError(
                "the supergraph uses @policy: set GATEWAY_POLICY_HOOK to the function "
                "(package.module:callable) that decides which policies a caller is granted"
            )
        return None

    def _percent_labels(self) -> dict[str, float]:
        labels: dict[str, float] = {}
        for type_def in self.supergraph.types.values():
            for field_def in type_def.fields.values():
                for resolver in field_def.resolvers.values():
                    for label in (resolver.enabled_by_label, resolver.disabled_by_label):
                        match = _PERCENT_LABEL.match(label or "")
                        if match:
                            labels[label] = float(match.group(1))  # type: ignore[index]
        return labels


__all__ = ["Gateway", "GraphQLError", "PlannedOperation"]
