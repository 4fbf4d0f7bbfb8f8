"""How every agency builds its federation schema, so federation version and error policy agree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.federation import Schema

# 2.6 is the first version with @policy (mutations, whose caller scopes alone cannot describe);
# @requiresScopes, on every personal-data field, and @authenticated came with 2.5.
FEDERATION_VERSION: Final = "2.6"


def _is_unexpected(error: GraphQLError) -> bool:
    # Errors we raise on purpose are GraphQLErrors; anything else (a database error, a bug)
    # would leak internals to the caller, so its message is replaced.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def federated_schema(
    *, query: type | None = None, mutation: type | None = None, types: Iterable[type] = ()
) -> Schema:
    return Schema(
        query=query,
        mutation=mutation,
        types=list(types),
        federation_version=FEDERATION_VERSION,
        extensions=[
            lambda: MaskErrors(should_mask_error=_is_unexpected),
            # The gateway sends the same few operations over and over, with different
            # representations in the variables; parsing and validating each once is enough.
            ParserCache,
            ValidationCache,
        ],
    )
