"""The OpenID Connect claims a client is told about a citizen (the userinfo answer and the ID
token), and the access-log record written when they tell a platform who the citizen is.

    sub                    always: pairwise for a platform, the personal id for our own apps
    personal_id, name,     only inside the `identity` category the citizen ticked
    given_name,            (`identity:read` in the token's scope)
    family_name, birthdate

A platform told any of the identity claims is a disclosure like any read through the gateway:
one record in the citizen's access log (category identity, fields `userinfo.<claim>` or
`id_token.<claim>`, the consent and its purpose) before the answer leaves. The citizen's own
apps are not recorded, as the gateway does not record the citizen's own reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auth.access_log import Disclosed
from auth.clients import Client
from auth.context import AuthContext

IDENTITY = "identity"
IDENTITY_CLAIMS = ("personal_id", "name", "given_name", "family_name", "birthdate")


async def user_claims(
    ctx: AuthContext, client: Client, personal_id: str, scope: str
) -> dict[str, str]:
    info = {"sub": ctx.subjects.subject(client, personal_id)}
    if f"{IDENTITY}:read" in scope.split():
        person = await ctx.register.person(personal_id)
        if person is not None:
            info["personal_id"] = personal_id
            info["name"] = person.name
            info["given_name"] = person.given_name
            info["family_name"] = person.family_name
            if person.date_of_birth:
                info["birthdate"] = person.date_of_birth.isoformat()
    return info


async def record_identity_disclosure(
    ctx: AuthContext,
    client: Client,
    personal_id: str,
    claims: Mapping[str, Any],
    where: str,
    consent_id: str | None,
) -> None:
    """Log what `claims` told a platform of the citizen's identity (nothing if nothing)."""
    told = [name for name in IDENTITY_CLAIMS if name in claims]
    if client.first_party or not told:
        return
    purpose = ""
    if consent_id:
        consent = await ctx.consents.get(consent_id)
        if consent is not None:
            details = [
                d for d in consent.authorization_details if IDENTITY in d.get("datatypes", ())
            ]
            purpose = "; ".join(
                dict.fromkeys(str(d["purpose"]) for d in details if d.get("purpose"))
            )
    await ctx.access_log.record_disclosures(
        [
            Disclosed(
                principal=personal_id,
                client_id=client.client_id,
                categories=(IDENTITY,),
                fields=tuple(f"{where}.{name}" for name in told),
                purpose=purpose,
                consent_id=consent_id,
            )
        ]
    )
