"""The platform's `@policy` decisions, for the gateway's policy hook (GATEWAY_POLICY_HOOK=
`auth.policies:decide`). They answer from the verified access token's claims alone.

    citizen:self       the token speaks for its subject directly (a first-party app)
    citizen:guardian   a guardian acting for a ward under 18 (token exchange)
    citizen:delegate   a delegate acting within a mandate (token exchange; themes are scopes)
    citizen:platform   a third-party platform within the citizen's consent (categories are
                       scopes; a withdrawn or expired consent's tokens are revoked or expired)

Scopes say which categories a token may read; these say on what grounds it speaks, which
scopes cannot: a platform holding `family:read` must still not grant a mandate for the
citizen. Whose data may be read is decided by each subgraph, per person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

POLICIES: Mapping[str, str] = {
    "citizen:self": "self",
    "citizen:guardian": "guardianship",
    "citizen:delegate": "mandate",
    "citizen:platform": "consent",
}


def decide(claims: Mapping[str, Any] | None, policies: frozenset[str]) -> dict[str, bool]:
    authority = claims.get("authority") if claims is not None else None
    return {
        policy: authority is not None and POLICIES.get(policy) == authority for policy in policies
    }
