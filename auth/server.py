"""The OAuth 2 / OIDC core: authlib's AuthorizationServer bound to our stores, and the thin
Starlette adapter that feeds it requests and turns its answers into responses."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import AuthorizationServer as _AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Payload, OAuth2Request
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from auth.authority import ACCOUNT_SCOPE
from auth.authorization_details import CATEGORIES
from auth.bridge import run_authlib, wait_for
from auth.client_assertion import JwksUriKeys, PrivateKeyJWT
from auth.clients import PRIVATE_KEY_JWT
from auth.context import AuthContext
from auth.dpop import require_proof, token_endpoint_refusal, token_request_key
from auth.endpoints import TokenIntrospection, TokenRevocation
from auth.grants import (
    AccessTokenGenerator,
    AuthorizationCodeGrant,
    AuthorizationDetailsCheck,
    OpenIDConnect,
    RefreshTokenGrant,
    S256CodeChallenge,
)
from auth.sealing import SealingUnavailable
from auth.token_exchange import TokenExchangeGrant
from auth.tokens import Grantee
from gateway.dpop import DpopError, DpopUnavailable

SCOPES_SUPPORTED = ["openid", *(f"{c}:read" for c in CATEGORIES), ACCOUNT_SCOPE]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class OAuthRequest(OAuth2Request):  # type: ignore[misc]
    """An authlib request made from already-read query and form items.

    The URI is the issuer's (what clients know this server as), so a TLS-terminating proxy
    in front does not make authlib see plain http."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Headers,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._query = dict(query)
        self._form = dict(form)
        self.payload = _Payload(query + form)
        self.citizen_data: list[Any] = []
        # The key a DPoP proof on this (token) request proved (auth/dpop.py).
        self.dpop_jkt: str | None = None

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def oauth_request(
    request: Request, issuer: str, query: list[tuple[str, str]] | None = None
) -> OAuthRequest:
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        data = await request.form()
        form = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
    items = list(request.query_params.multi_items()) if query is None else query
    uri = issuer.rstrip("/") + request.url.path
    if items:
        uri += "?" + urlencode(items)
    return OAuthRequest(request.method, uri, request.headers, items, form)


def to_response(result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
    status, body, headers = result
    header_map = dict(headers)
    if status in (301, 302, 303) and "Location" in header_map:
        response: Response = RedirectResponse(header_map["Location"], status_code=303)
        response.headers["Cache-Control"] = "no-store"
        return response
    if isinstance(body, dict):
        response = JSONResponse(body, status_code=status)
    else:
        response = Response(body or "", status_code=status)
    for key, value in headers:
        if key.lower() != "content-type":
            response.headers[key] = value
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class TemporarilyUnavailable(OAuth2Error):  # type: ignore[misc]
    error = "temporarily_unavailable"
    status_code = 503


async def sealed_for_gateway(ctx: AuthContext, access_token: str) -> str:
    """A platform's access token, readable by the gateway only (sealing.py); none without
    the gateway's key."""
    if ctx.sealer is None:
        raise TemporarilyUnavailable("This server does not know the gateway's encryption key.")
    try:
        return await ctx.sealer.seal(access_token)
    except SealingUnavailable as error:
        raise TemporarilyUnavailable(f"No platform token can be issued now: {error}") from None


class AuthorizationServer(_AuthorizationServer):  # type: ignore[misc]
    def __init__(self, ctx: AuthContext) -> None:
        super().__init__(scopes_supported=SCOPES_SUPPORTED)
        self.ctx = ctx
        self.register_token_generator("default", AccessTokenGenerator(ctx))
        self.register_grant(
            AuthorizationCodeGrant,
            [S256CodeChallenge(required=True), AuthorizationDetailsCheck(), OpenIDConnect(ctx)],
        )
        self.register_grant(RefreshTokenGrant)
        self.register_grant(TokenExchangeGrant)
        self.register_endpoint(TokenRevocation(self))
        self.register_endpoint(TokenIntrospection(self))
        # The token request being answered in this worker thread, for generate_token.
        self._answering = threading.local()
        self.register_client_auth_method(
            PRIVATE_KEY_JWT, PrivateKeyJWT(ctx.settings.issuer, ctx.replay, JwksUriKeys())
        )

    # -- what authlib asks of a framework integration

    def query_client(self, client_id: str) -> Any:
        return wait_for(self.ctx.clients.get(client_id))

    def create_oauth2_request(self, request: OAuthRequest) -> OAuthRequest:
        return request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    # -- tokens

    def create_token_response(self, request: OAuthRequest) -> Any:
        self._answering.request = request
        try:
            return super().create_token_response(request)
        finally:
            self._answering.request = None

    def generate_token(
        self,
        grant_type: str,
        client: Any,
        user: Grantee | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if user is not None and not user.extra.get("refreshable", False):
            include_refresh_token = False
        answering: OAuthRequest | None = getattr(self._answering, "request", None)
        jkt = answering.dpop_jkt if answering is not None else None
        require_proof(client, jkt)
        if user is not None and jkt:
            user = replace(user, extra={**user.extra, "dpop_jkt": jkt})
        token: dict[str, Any] = super().generate_token(
            grant_type, client, user, scope, expires_in, include_refresh_token
        )
        if jkt:
            token["token_type"] = "DPoP"
        if user is not None and user.authorization_details:
            token["authorization_details"] = list(user.authorization_details)
        return token

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        ctx = self.ctx
        claims = ctx.verifier.decode(token["access_token"])
        user: Grantee = request.user
        now = int(time.time())
        refresh_expires_at = now + ctx.settings.refresh_token_ttl
        if user.not_after is not None:
            refresh_expires_at = min(refresh_expires_at, user.not_after)
        sealed = None
        if not request.client.first_party:
            # Before process_token, so the ID token's at_hash is of what the client holds.
            sealed = token["access_token"] = wait_for(
                sealed_for_gateway(ctx, token["access_token"])
            )
        wait_for(
            ctx.tokens.save(
                jti=claims["jti"],
                client_id=request.client.client_id,
                grantee=user,
                scope=token.get("scope", ""),
                issued_at=claims["iat"],
                expires_at=claims["exp"],
                refresh_token=token.get("refresh_token"),
                refresh_expires_at=refresh_expires_at,
                dpop_jkt=request.dpop_jkt,
                sealed_access_token=sealed,
            )
        )

    # -- async entry points for the Starlette handlers

    async def token_response(self, request: Request) -> Response:
        oauth = await oauth_request(request, self.ctx.settings.issuer)
        try:
            oauth.dpop_jkt = await token_request_key(
                self.ctx.dpop, self.ctx.settings.issuer, request
            )
        except (DpopError, DpopUnavailable) as error:
            return token_endpoint_refusal(error)
        return to_response(await run_authlib(self.create_token_response, oauth))

    async def endpoint_response(self, name: str, request: Request) -> Response:
        oauth = await oauth_request(request, self.ctx.settings.issuer)
        return to_response(await run_authlib(self.create_endpoint_response, name, oauth))


def error_json(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
