"""The gateway as one object: stages wired together, with the caches between them.

    request ─▶ prepare (parse + validate, cached per document and operation name)
            ─▶ coerce variables ─▶ normalise (cached per @skip/@include values)
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
from gateway.disclosure import Disclosures
from gateway.errors import PlanningError, SupergraphError
from gateway.executor import ExecutionState, Executor
from gateway.exposure import Exposure
from gateway.identity import IdentitySigner, load_or_create_key
from gateway.operation import Operation, PreparedDocument, RequestError, normalise, prepare
from gateway.plan import QueryPlan
from gateway.planner import plan_operation
from gateway.response import ResponseShaper
from gateway.selection import SelectionSet
from gateway.settings import GatewaySettings
from gateway.supergraph import parse_supergraph, with_subgraph_urls
from gateway.transport import Transport

_PERCENT_LABEL = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")


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
    plans: dict[tuple[frozenset[str], Outcome], PlannedOperation | PlanningError] = field(
        default_factory=dict
    )


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)


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
        self.documents = _LRU(self.settings.document_cache_size)
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
        self.policy_hook = self._policy_hook()
        self.disclosures = Disclosures.build(
            self.supergraph, self.settings, self.shaper.possible_types
        )
        self.transport: Transport | None = None
        self.executor: Executor | None = None

    async def start(self) -> None:
        self.transport = Transport(
            timeout=self.settings.subgraph_timeout,
            timeouts=self.settings.subgraph_timeouts,
            max_connections_per_subgraph=self.settings.max_connections_per_subgraph,
            deduplicate=self.settings.deduplicate_subgraph_queries,
        )
        self.executor = Executor(self.transport)
        await self.authenticator.start()

    async def close(self) -> None:
        await self.authenticator.close()
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
                cached = prepare(self.api_schema, query, operation_name, self.settings.max_depth)
                self.exposure.refuse_introspection(cached)
            except RequestError as error:
                cached = self.exposure.request_error(error)
            self.documents.put(key, cached)
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
                    [{**e.formatted, "extensions": {"code": "BAD_USER_INPUT"}} for e in coerced]
                )
            )
        return coerced

    def normalised(self, prepared: PreparedDocument, variables: Mapping[str, Any]) -> _Normalised:
        key = prepared.condition_key(variables)
        normalised: _Normalised | None = prepared.by_conditions.get(key)
        if normalised is None:
            operation = normalise(self.api_schema, prepared, variables)
            checks = None if self.authorizer is None else self.authorizer.check(operation)
            normalised = prepared.by_conditions[key] = _Normalised(operation, checks)
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
                "errors": [
                    {"message": str(error), "extensions": {"code": "QUERY_PLANNING_FAILED"}}
                ],
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
