"""Errors a subgraph returns to its caller, in the GraphQL error shape with a machine code.

GraphQLError
├── BadUserInput      the input was refused; nothing changed
├── Unauthenticated   no person is signed in
└── Forbidden         the person may not see or change this
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class _CodedError(GraphQLError):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(_CodedError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, field: str | None = None) -> None:
        if field is None:
            super().__init__(message)
        else:
            super().__init__(message, field=field)


class Unauthenticated(_CodedError):
    code = "UNAUTHENTICATED"


class Forbidden(_CodedError):
    code = "FORBIDDEN"
