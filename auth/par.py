"""Pushed authorization requests (RFC 9126): the platform posts its authorization request to
`/par` over the back channel, authenticated as at the token endpoint, and gets a
`request_uri` that the browser then carries to `/authorize` instead of the request itself.

A `request_uri` is bound to the client that pushed it, lives `AUTH_PAR_TTL` seconds, and is
used once: `/authorize` only looks at it while the citizen is still signing in, and consumes
it when the signed-in citizen reaches the consent page (or, for a first-party app, the
code); the consent form then carries the request as the server holds it, never the URL.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Literal

from authlib.oauth2.rfc6749 import OAuth2Error
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth import tables
from auth.bridge import run_authlib
from auth.context import AuthContext
from auth.grants import CLIENT_AUTH_METHODS
from auth.server import AuthorizationServer, OAuthRequest, error_json, oauth_request
from auth.tokens import hash_token

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# Client authentication travels with the push; it is no part of the authorization request.
_CLIENT_AUTHENTICATION = frozenset({"client_secret", "client_assertion", "client_assertion_type"})

Params = list[tuple[str, str]]


class PushedRequests:
    def __init__(self, engine: AsyncEngine, ttl: int) -> None:
        self.engine = engine
        self.ttl = ttl

    async def push(self, client_id: str, params: Params) -> str:
        request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(32)
        now = int(time.time())
        t = tables.pushed_authorization_requests
        async with self.engine.begin() as connection:
            await connection.execute(t.delete().where(t.c.expires_at < now))
            await connection.execute(
                t.insert().values(
                    request_uri_hash=hash_token(request_uri),
                    client_id=client_id,
                    params=json.dumps(params),
                    expires_at=now + self.ttl,
                )
            )
        return request_uri

    async def resolve(self, request_uri: str, client_id: str, consume: bool) -> Params | None:
        """The pushed request, if `request_uri` is this client's, unexpired and unused;
        `consume` marks it used, atomically, so only one caller ever gets it that way."""
        t = tables.pushed_authorization_requests
        key = hash_token(request_uri)
        now = int(time.time())
        live = (
            t.c.request_uri_hash == key,
            t.c.client_id == client_id,
            t.c.used_at.is_(None),
            t.c.expires_at > now,
        )
        async with self.engine.begin() as connection:
            if consume:
                result = await connection.execute(t.update().where(*live).values(used_at=now))
                if result.rowcount != 1:
                    return None
                row = (await connection.execute(select(t.c.params).where(*live[:2]))).first()
            else:
                row = (await connection.execute(select(t.c.params).where(*live))).first()
        if row is None:
            return None
        return [(str(k), str(v)) for k, v in json.loads(row.params)]


Outcome = tuple[Literal["ok"], Params] | tuple[Literal["refused"], str]


async def authorization_parameters(
    ctx: AuthContext, pushed: PushedRequests, query: Params, consume: bool
) -> Outcome:
    """What `/authorize` acts on: the pushed request a `request_uri` names (the other query
    parameters are ignored but `client_id`, RFC 9126 §4), or the query itself when the client
    is not required to push. "refused" carries the reason for the citizen's error page."""
    values = dict(query)
    client_id = values.get("client_id", "")
    request_uri = values.get("request_uri")
    if request_uri is not None:
        params = await pushed.resolve(request_uri, client_id, consume)
        if params is None:
            return "refused", (
                "This sign-in link has expired or was already used. Go back to the service "
                "and start again."
            )
        return "ok", params
    client = await ctx.clients.get(client_id) if client_id else None
    if client is not None and client.metadata.require_pushed_authorization_requests:
        return "refused", (
            f"{client.client_name} must send its request to us directly (pushed authorization "
            "request) before sending you here, and did not. Go back to it and try again."
        )
    return "ok", query


async def push_endpoint(
    ctx: AuthContext, server: AuthorizationServer, pushed: PushedRequests, request: Request
) -> Response:
    """`POST /par`: authenticate the client, validate the request as `/authorize` would
    (without the citizen), keep it, answer 201 with `request_uri` and `expires_in`."""
    oauth = await oauth_request(request, ctx.settings.issuer, query=[])
    try:
        client = await run_authlib(
            server.authenticate_client, oauth, CLIENT_AUTH_METHODS, "pushed_authorization"
        )
    except OAuth2Error as error:
        return error_json(error.error, error.description or "", error.status_code)
    form = (await request.form()).multi_items()
    params = [(k, v) for k, v in form if isinstance(v, str) and k not in _CLIENT_AUTHENTICATION]
    names = {k for k, _ in params}
    if "request_uri" in names:
        return error_json("invalid_request", "A pushed request may not itself be a request_uri.")
    if dict(params).get("client_id", client.client_id) != client.client_id:
        return error_json("invalid_request", "client_id is not the authenticated client.")
    if "client_id" not in names:
        params.append(("client_id", client.client_id))
    uri = ctx.settings.issuer.rstrip("/") + "/authorize"
    check = OAuthRequest("GET", uri, request.headers, params, [])
    try:
        await run_authlib(server.get_consent_grant, check, None)
    except OAuth2Error as error:
        # RFC 9126 §2.3: errors of the request come back here, never by redirect.
        return error_json(error.error, error.description or "", 400)
    request_uri = await pushed.push(client.client_id, params)
    return JSONResponse(
        {"request_uri": request_uri, "expires_in": pushed.ttl},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
