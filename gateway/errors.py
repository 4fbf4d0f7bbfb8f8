"""Errors of every stage, and the GraphQL error shape they reach clients in.

GatewayError
├── SupergraphError     the supergraph SDL cannot be served (stops the start)
├── ConfigurationError  settings the gateway cannot honour together (stops the start)
├── PlanningError       no subgraph can resolve part of a valid operation
└── DisclosureUnavailable  a response's disclosures cannot be recorded (it is refused)

Every `extensions.code` the gateway writes itself is named here, and only here, so that the
list clients are given (docs/platforms.md, "Errors") can be checked against it. A subgraph's
own codes (`FORBIDDEN`, ...) reach clients as the subgraph wrote them.
"""

from __future__ import annotations

from typing import Any, Final, NotRequired, TypedDict

# The request as a whole (HTTP 4xx/5xx, no data).
SERVICE_OVERLOADED: Final = "SERVICE_OVERLOADED"
CSRF_PREVENTED: Final = "CSRF_PREVENTED"
RATE_LIMITED: Final = "RATE_LIMITED"
UNAUTHENTICATED: Final = "UNAUTHENTICATED"
AUTHENTICATION_UNAVAILABLE: Final = "AUTHENTICATION_UNAVAILABLE"
BAD_REQUEST: Final = "BAD_REQUEST"
METHOD_NOT_ALLOWED: Final = "METHOD_NOT_ALLOWED"
UNSUPPORTED_MEDIA_TYPE: Final = "UNSUPPORTED_MEDIA_TYPE"
PAYLOAD_TOO_LARGE: Final = "PAYLOAD_TOO_LARGE"
DISCLOSURE_LOG_UNAVAILABLE: Final = "DISCLOSURE_LOG_UNAVAILABLE"
INTERNAL_SERVER_ERROR: Final = "INTERNAL_SERVER_ERROR"
# Persisted documents.
PERSISTED_QUERY_NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_HASH_MISMATCH: Final = "PERSISTED_QUERY_HASH_MISMATCH"
PERSISTED_QUERY_INVALID: Final = "PERSISTED_QUERY_INVALID"
PERSISTED_QUERY_NOT_SUPPORTED: Final = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_NOT_IN_SAFELIST: Final = "PERSISTED_QUERY_NOT_IN_SAFELIST"
PERSISTED_DOCUMENT_NOT_FOUND: Final = "PERSISTED_DOCUMENT_NOT_FOUND"
# The document: limits, parsing, validation, variables, cost, planning.
MAX_QUERY_LENGTH_EXCEEDED: Final = "MAX_QUERY_LENGTH_EXCEEDED"
MAX_TOKENS_EXCEEDED: Final = "MAX_TOKENS_EXCEEDED"
MAX_DEPTH_EXCEEDED: Final = "MAX_DEPTH_EXCEEDED"
MAX_ALIASES_EXCEEDED: Final = "MAX_ALIASES_EXCEEDED"
MAX_FIELDS_EXCEEDED: Final = "MAX_FIELDS_EXCEEDED"
MAX_ROOT_FIELDS_EXCEEDED: Final = "MAX_ROOT_FIELDS_EXCEEDED"
MAX_DIRECTIVES_EXCEEDED: Final = "MAX_DIRECTIVES_EXCEEDED"
MAX_FIELD_PAIRS_EXCEEDED: Final = "MAX_FIELD_PAIRS_EXCEEDED"
GRAPHQL_PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
OPERATION_NOT_SUPPORTED: Final = "OPERATION_NOT_SUPPORTED"
INTROSPECTION_DISABLED: Final = "INTROSPECTION_DISABLED"
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
COST_ESTIMATED_TOO_EXPENSIVE: Final = "COST_ESTIMATED_TOO_EXPENSIVE"
COST_SLICING_ARGUMENT_REQUIRED: Final = "COST_SLICING_ARGUMENT_REQUIRED"
QUERY_PLANNING_FAILED: Final = "QUERY_PLANNING_FAILED"
# One field of a response (HTTP 200, the rest of the data stays).
UNAUTHORIZED_FIELD_OR_TYPE: Final = "UNAUTHORIZED_FIELD_OR_TYPE"
SUBREQUEST_TIMEOUT: Final = "SUBREQUEST_TIMEOUT"
SUBREQUEST_CIRCUIT_OPEN: Final = "SUBREQUEST_CIRCUIT_OPEN"
SUBREQUEST_HTTP_ERROR: Final = "SUBREQUEST_HTTP_ERROR"
SUBREQUEST_MALFORMED_RESPONSE: Final = "SUBREQUEST_MALFORMED_RESPONSE"
DOWNSTREAM_SERVICE_ERROR: Final = "DOWNSTREAM_SERVICE_ERROR"
NULL_IN_NON_NULL_FIELD: Final = "NULL_IN_NON_NULL_FIELD"

# Every code above: naming a new one is enough to have it checked against the guide.
CODES: Final = frozenset(
    value
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, str) and name == value
)


class GraphQLErrorDict(TypedDict):
    message: str
    path: NotRequired[list[str | int]]
    locations: NotRequired[list[dict[str, int]]]
    extensions: NotRequired[dict[str, Any]]


class GatewayError(Exception):
    pass


class SupergraphError(GatewayError):
    """The supergraph is malformed or uses something this gateway does not support."""


class ConfigurationError(GatewayError):
    """Settings that cannot be honoured; the message starts with the variable to fix."""


class PlanningError(GatewayError):
    """The operation is valid but the supergraph offers no way to resolve part of it."""


class DisclosureUnavailable(GatewayError):
    """What a response disclosed could not be recorded, so the response must not leave."""


def graphql_error(
    message: str, *, code: str, path: list[str | int] | None = None, **extensions: Any
) -> GraphQLErrorDict:
    error: GraphQLErrorDict = {"message": message}
    if path is not None:
        error["path"] = path
    error["extensions"] = {"code": code, **extensions}
    return error
