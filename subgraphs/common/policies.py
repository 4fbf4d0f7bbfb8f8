"""The `@policy` names the gateway enforces, for what scopes alone cannot say.

The gateway's policy hook (auth/policies.py) knows four, from the token's `authority`:
`citizen:self` (the citizen's own app), `citizen:guardian`, `citizen:delegate` and
`citizen:platform` (a third-party platform within the citizen's consent).
Subgraphs check the same facts themselves (access.py); the directive lets the gateway refuse
before planning and tells clients what a field needs.
"""

from __future__ import annotations

CITIZEN_SELF = "citizen:self"
CITIZEN_PLATFORM = "citizen:platform"


def citizens_own_token() -> list[list[str]]:
    """A `@policy` argument: only the citizen's own sign-in (every mutation, the consent log)."""
    return [[CITIZEN_SELF]]


def citizen_or_their_platform() -> list[list[str]]:
    """A `@policy` argument: the citizen's own sign-in, or a platform about its own consent."""
    return [[CITIZEN_SELF], [CITIZEN_PLATFORM]]
