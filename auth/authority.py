"""The authority an access token speaks with, written into the token for resource servers.

    authority     whose data, on what grounds                         extra claims
    self          the citizen, through a first-party app              guardian_of
    consent       a platform, within the citizen's consent            consent_id
    mandate       a delegate, within the principal's mandate          act, mandate_id
    guardianship  a guardian, for a ward under 18                     act
    sign-in       a platform that only signed the citizen in          (none: no data)

The gateway's policies (`auth/policies.py`) and the subgraphs read this claim rather than
inferring it from which other claims are absent: a sign-in-only platform token lacks
`consent_id` and `act` just like the citizen's own, and must not pass for it.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from auth.guardianship import guardianships_of
from auth.population import PopulationRegister, PopulationRegisterError
from auth.tokens import Grantee

_log = logging.getLogger(__name__)

# Managing the account itself (giving, accepting and ending mandates, seeing and withdrawing
# consents) is for the citizen account's own apps: no third-party client is ever given it.
ACCOUNT_SCOPE = "account:manage"

Authority = Literal["self", "consent", "mandate", "guardianship", "sign-in"]


def authority_of(grantee: Grantee, first_party: bool) -> Authority:
    if grantee.consent_id:
        return "consent"
    if grantee.actor:
        return grantee.delegation or "mandate"
    return "self" if first_party else "sign-in"


async def authority_claims(
    register: PopulationRegister, grantee: Grantee, first_party: bool
) -> dict[str, Any]:
    """`authority`, and on the citizen's own token the minors in their care (ids only, as of
    now: resource servers check the ward is still a minor on the day they answer)."""
    authority = authority_of(grantee, first_party)
    claims: dict[str, Any] = {"authority": authority}
    if authority == "self":
        try:
            wards = await guardianships_of(register, grantee.personal_id)
        except PopulationRegisterError:
            _log.warning("guardianships unknown: the token carries none", exc_info=True)
            wards = []
        claims["guardian_of"] = [guardianship.ward for guardianship in wards]
    return claims
