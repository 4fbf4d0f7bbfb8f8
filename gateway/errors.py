"""Errors of every stage, and the GraphQL error shape they reach clients in.

GatewayError
├── SupergraphError     the supergraph SDL cannot be served (stops the start)
├── ConfigurationError  settings the gateway cannot honour together (stops the start)
├── PlanningError       no subgraph can resolve part of a valid operation
└── DisclosureUnavailable  a response's disclosures cannot be recorded (it is refused)
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


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
