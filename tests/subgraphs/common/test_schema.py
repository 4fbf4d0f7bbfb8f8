from __future__ import annotations

import strawberry

from subgraphs.common.errors import BadUserInput
from subgraphs.common.schema import federated_schema


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("database file /secret/path is locked")

    @strawberry.field
    def refused(self) -> str:
        raise BadUserInput("postcode must be five digits", field="postcode")


schema = federated_schema(query=Query)


def test_unexpected_errors_are_masked() -> None:
    result = schema.execute_sync("{ broken }")
    assert result.errors is not None
    assert result.errors[0].message == "Unexpected error."


def test_errors_raised_on_purpose_keep_message_and_code() -> None:
    result = schema.execute_sync("{ refused }")
    assert result.errors is not None
    error = result.errors[0].formatted
    assert error["message"] == "postcode must be five digits"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "postcode"}
