"""How every agency builds its federation schema, so federation version and error policy agree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from graphql import GraphQLError
from strawberry import UNSET
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.federation import Schema
from strawberry.federation.schema_directives import ListSize

# 2.9 is the first version with @cost and @listSize (the gateway's cost estimate reads them);
# @policy came with 2.6, @requiresScopes and @authenticated with 2.5.
FEDERATION_VERSION: Final = "2.9"


def _is_unexpected(error: GraphQLError) -> bool:
    # Errors we raise on purpose are GraphQLErrors; anything else (a database error, a bug)
    # would leak internals to the caller, so its message is replaced.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def list_size(
    assumed_size: int | None = None,
    *,
    slicing_arguments: list[str] | None = None,
    sized_fields: list[str] | None = None,
) -> ListSize:
    """`@listSize` for the gateway's cost estimate: how many items a list field is assumed to
    hold, or which argument says (docs/subgraphs.md lists the platform's and why). Arguments
    left out are left out of the SDL (strawberry would print them as null)."""
    return ListSize(
        assumed_size=UNSET if assumed_size is None else assumed_size,
        slicing_arguments=slicing_arguments or UNSET,
        sized_fields=sized_fields or UNSET,
        require_one_slicing_argument=UNSET,
    )


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
