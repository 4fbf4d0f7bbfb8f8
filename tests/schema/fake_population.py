"""A tiny strawberry federation subgraph, for composing a platform list in tests."""

import strawberry
from strawberry.federation import Schema


@strawberry.federation.type(keys=["personalId"])
class Citizen:
    personal_id: strawberry.ID


@strawberry.type
class Query:
    @strawberry.field
    def me(self) -> Citizen | None:
        return None


schema = Schema(query=Query)
