"""What a client may learn beyond its answer: the schema by introspection, field names from
graphql-core's suggestions, subgraphs' own errors, and its own input quoted back at length.

    prepare ─▶ refuse_introspection       once per document, when introspection is off
    request errors (parse, validation, variables)
            ─▶ request_error               suggestions cut (when masked), long messages cut
    response errors
            ─▶ response_errors             subgraph errors masked (the detail logged with the
                                           trace id), long messages cut

Everything here runs once per document or on the error path only: a request that succeeds
pays nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from gateway.errors import DOWNSTREAM_SERVICE_ERROR, INTROSPECTION_DISABLED, graphql_error
from gateway.operation import INTROSPECTION_ROOT_FIELDS, PreparedDocument, RequestError
from gateway.settings import GatewaySettings

_log = logging.getLogger("gateway.exposure")
# graphql-core ends messages with " Did you mean 'a', 'b', or 'c'?" (names hold no "?").
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")
# ASCII: a message may end up in a header (WWW-Authenticate), which is Latin-1 at most.
_TRUNCATED = " ... (truncated) ... "


@dataclass(frozen=True, slots=True)
class Exposure:
    introspection: bool
    mask_suggestions: bool
    mask_subgraph_errors: bool
    max_message_length: int

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Exposure:
        return cls(
            introspection=bool(settings.introspection),
            mask_suggestions=bool(settings.mask_suggestions),
            mask_subgraph_errors=bool(settings.mask_subgraph_errors),
            max_message_length=settings.max_error_message_length,
        )

    def refuse_introspection(self, prepared: PreparedDocument) -> None:
        """Raise RequestError if introspection is off and the operation asks for `__schema`
        or `__type` anywhere (a fragment on the query type may sit below the root);
        `__typename` is not introspection of the schema and is always answered."""
        if not self.introspection and _selects_introspection(
            prepared.operation.selection_set, prepared.fragments, set()
        ):
            disabled = graphql_error(
                "Introspection is disabled on this gateway.", code=INTROSPECTION_DISABLED
            )
            raise RequestError([dict(disabled)])

    def request_error(self, error: RequestError) -> RequestError:
        return RequestError([self._shown(e) for e in error.errors])

    def response_errors(
        self, errors: list[dict[str, Any]], trace_id: str | None
    ) -> list[dict[str, Any]]:
        """The errors of a response as the client sees them. A masked subgraph error keeps its
        path, code and subgraph name; the rest is logged under the request's trace id (one is
        made up when the request has none, so the client can still quote it)."""
        if not self.mask_subgraph_errors:
            return [self._shown(e) for e in errors]
        shown: list[dict[str, Any]] = []
        hidden: list[dict[str, Any]] = []
        for error in errors:
            extensions = error.get("extensions")
            service = extensions.get("serviceName") if isinstance(extensions, dict) else None
            if service is None:
                shown.append(self._shown(error))
                continue
            assert isinstance(extensions, dict)
            trace_id = trace_id or secrets.token_hex(16)
            hidden.append(error)
            masked: dict[str, Any] = {"message": f"Subgraph '{service}' failed."}
            if "path" in error:
                masked["path"] = error["path"]
            masked["extensions"] = {
                "code": extensions.get("code", DOWNSTREAM_SERVICE_ERROR),
                "serviceName": service,
                "traceId": trace_id,
            }
            shown.append(masked)
        if hidden:
            _log.warning("subgraph errors masked, trace %s: %r", trace_id, hidden)
        return shown

    def truncate(self, message: str) -> str:
        """`message` cut in the middle to the longest allowed, keeping what it is about (the
        start) and why (the end)."""
        limit = self.max_message_length
        if len(message) <= limit:
            return message
        kept = limit - len(_TRUNCATED)
        head = kept - kept // 2
        return message[:head] + _TRUNCATED + message[len(message) - kept // 2 :]

    def _shown(self, error: Mapping[str, Any]) -> dict[str, Any]:
        message = error.get("message")
        if not isinstance(message, str):
            return dict(error)
        if self.mask_suggestions:
            message = _SUGGESTION.sub("", message)
        return {**error, "message": self.truncate(message)}


def _selects_introspection(
    node: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    visited: set[str],
) -> bool:
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOT_FIELDS:
                return True
            below = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visited:
                continue
            visited.add(name)
            below = fragments[name].selection_set
        else:
            assert isinstance(selection, InlineFragmentNode)
            below = selection.selection_set
        if below is not None and _selects_introspection(below, fragments, visited):
            return True
    return False


__all__ = ["Exposure"]
