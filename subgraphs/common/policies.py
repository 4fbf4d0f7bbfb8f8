"""The `@policy` names the gateway enforces, for what scopes alone cannot say.

The gateway's policy hook knows four: `citizen:self` (the token speaks for its subject
directly: no `act`, no `consent_id`), `citizen:guardian` (`delegation` = guardianship),
`citizen:delegate` (`delegation` = mandate) and `citizen:platform` (has `consent_id`).
Subgraphs check the same facts themselves (access.py); the directive lets the gateway refuse
before planning and tells clients what a field needs.
"""

from __future__ import annotations

CITIZEN_SELF = "citizen:self"


def citizens_own_token() -> list[list[str]]:
    """A `@policy` argument: only the citizen's own sign-in (every mutation, the consent log)."""
    return [[CITIZEN_SELF]]
