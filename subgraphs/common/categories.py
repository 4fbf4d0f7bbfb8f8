"""The data categories personal data is disclosed by, and the scopes that read them.

A consent names categories; the gateway enforces them through each field's `@requiresScopes`.
"""

from __future__ import annotations

from typing import Literal, get_args

Category = Literal[
    "identity", "address", "family", "income", "tax", "benefits", "vehicles", "business"
]
CATEGORIES: tuple[Category, ...] = get_args(Category)


def read_scope(*categories: Category) -> list[list[str]]:
    """A `@requiresScopes` argument requiring every listed category's read scope together."""
    assert categories, "a personal-data field names at least one category"
    return [[f"{category}:read" for category in categories]]
