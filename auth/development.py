"""What exists only when CITIZEN_ENV=development: tokens for the gateway's development identity.

`make run` lets a developer be any seeded citizen by sending a header to the gateway. The
gateway (GATEWAY_DEV_TOKEN_URL) turns that header into a token from here and verifies it like
any other, so the development identity is exactly what a citizen signed in through a
first-party app gets: the same claims, scopes and guardianships, and nothing more.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.authority import ACCOUNT_SCOPE, authority_claims
from auth.authorization_details import CATEGORIES
from auth.context import AuthContext
from auth.identity import TEST_ACR
from auth.server import error_json
from auth.tokens import ACCESS_TOKEN_TYP, Grantee

DEVELOPMENT_CLIENT = "development"


async def development_token(ctx: AuthContext, request: Request) -> Response:
    form = await request.form()
    personal_id = str(form.get("personal_id", "")).strip()
    if await ctx.register.person(personal_id) is None:
        return error_json("invalid_request", f"{personal_id!r} is not in the population register")
    now = int(time.time())
    grantee = Grantee(personal_id=personal_id, acr=TEST_ACR, amr=("test",), auth_time=now)
    scope = " ".join(["openid", *(f"{category}:read" for category in CATEGORIES), ACCOUNT_SCOPE])
    ttl = ctx.settings.access_token_ttl
    claims: dict[str, Any] = {
        "iss": ctx.settings.issuer,
        "aud": ctx.settings.audience,
        "sub": personal_id,
        "client_id": DEVELOPMENT_CLIENT,
        "scope": scope,
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + ttl,
        "auth_time": now,
        "acr": TEST_ACR,
        "amr": ["test"],
        **await authority_claims(ctx.register, grantee, first_party=True),
    }
    # Recorded like every token, so introspection and revocation work on it too.
    await ctx.tokens.save(
        jti=claims["jti"],
        client_id=DEVELOPMENT_CLIENT,
        grantee=grantee,
        scope=scope,
        issued_at=now,
        expires_at=claims["exp"],
        refresh_token=None,
        refresh_expires_at=None,
    )
    return JSONResponse(
        {
            "access_token": ctx.keys.sign(
                claims, typ=ACCESS_TOKEN_TYP, alg=ctx.settings.access_token_signing_alg
            ),
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": scope,
        },
        headers={"Cache-Control": "no-store"},
    )
