"""Stage 0: who is asking. Turns a request's credentials into a `Caller` before anything else.

The caller is what the later stages read: authorization checks its scopes and hands its
claims to the policy hook; the executor derives the identity it signs for subgraphs from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified access token's claims, or none at all: the anonymous caller."""

    claims: Mapping[str, Any] | None = None
    scopes: frozenset[str] = field(default=frozenset())

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        scope = claims.get("scope")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        return cls(MappingProxyType(dict(claims)), scopes)

    @property
    def authenticated(self) -> bool:
        return self.claims is not None


ANONYMOUS = Caller()
