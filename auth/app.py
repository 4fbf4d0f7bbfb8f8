"""The authorization server as one Starlette app: routes, start-up and shutdown."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hmac
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from auth.access_log import Disclosed
from auth.authorization_details import TYPE
from auth.authorize import AuthorizePages
from auth.client_assertion import ALGORITHMS as CLIENT_ASSERTION_ALGORITHMS
from auth.clients import (
    FAPI2,
    FAPI_ALGORITHMS,
    PRIVATE_KEY_JWT,
    TOKEN_EXCHANGE,
    Client,
    ClientMetadata,
    ConfiguredClient,
    read_clients_file,
)
from auth.context import AuthContext, open_context
from auth.development import development_token
from auth.dpop import ProtectedResource
from auth.dpop import discovery_metadata as dpop_metadata
from auth.eid import OidcIdentityProvider, check_eid_settings
from auth.identity import IdentityProvider, TestIdentityProvider
from auth.keys import ALGORITHMS as KEY_ALGORITHMS
from auth.logout import EndSession
from auth.pairwise import hosts
from auth.par import PushedRequests, push_endpoint
from auth.population import PopulationRegister
from auth.profile import check_configured_clients
from auth.revocation import revocations_since
from auth.sealing import TokenSealer
from auth.server import SCOPES_SUPPORTED, AuthorizationServer, error_json
from auth.sessions import COOKIE, Authentication
from auth.settings import AuthSettings
from auth.subgraph import SUBGRAPH_NAME, consent_graphql
from auth.token_exchange import ACCESS_TOKEN_TYPE, PERSONAL_ID_TYPE
from auth.userinfo import record_identity_disclosure, user_claims
from subgraphs.common.identity import gateway_verifier
from subgraphs.common.settings import GatewayTrust, load_gateway_trust

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# What a first-party app running in a browser on another origin (GraphiQL on the gateway)
# calls from its page: discovery and the token endpoint. Both are simple requests (GET, or a
# form POST without credentials), so no preflight is ever needed or answered.
_CORS_HANDLERS = frozenset({"configuration", "token"})


def discovery(issuer: str) -> dict[str, Any]:
    base = issuer.rstrip("/")
    auth_methods = ["private_key_jwt", "client_secret_basic", "client_secret_post"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks.json",
        "registration_endpoint": f"{base}/register",
        "revocation_endpoint": f"{base}/revoke",
        "introspection_endpoint": f"{base}/introspect",
        "end_session_endpoint": f"{base}/logout",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", TOKEN_EXCHANGE],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": list(
            CLIENT_ASSERTION_ALGORITHMS
        ),
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": list(KEY_ALGORITHMS),
        "claims_supported": [
            "sub",
            "personal_id",
            "name",
            "given_name",
            "family_name",
            "birthdate",
            "acr",
        ],
        "authorization_details_types_supported": [TYPE],
        "token_exchange_subject_token_types_supported": [PERSONAL_ID_TYPE],
        "token_exchange_actor_token_types_supported": [ACCESS_TOKEN_TYPE],
    }


def fapi_discovery(settings: AuthSettings) -> dict[str, Any]:
    """What RFC 9126, RFC 9207 and the platform profile add to discovery."""
    base = settings.issuer.rstrip("/")
    fapi = settings.platform_profile == FAPI2
    metadata: dict[str, Any] = {
        "pushed_authorization_request_endpoint": f"{base}/par",
        "authorization_response_iss_parameter_supported": True,
    }
    if fapi or settings.require_pushed_authorization_requests:
        # Third-party platforms; the platform's own apps are configured apart (docs/auth.md).
        metadata["require_pushed_authorization_requests"] = True
    if fapi:
        metadata["platform_profile"] = FAPI2
        metadata["platform_token_endpoint_auth_methods"] = [PRIVATE_KEY_JWT]
        metadata["platform_id_token_signing_alg_values"] = list(FAPI_ALGORITHMS)
        metadata["platform_dpop_bound_access_tokens"] = True
    return metadata


def browser_app_origins(clients: list[ConfiguredClient]) -> frozenset[str]:
    """The origins (RFC 6454, as a browser sends them) of the first-party public clients'
    redirect URIs: the only pages that may read discovery and token answers cross-origin.
    A confidential client keeps its secret on a server and needs no CORS; a third party's page
    is not the platform's to trust."""
    origins = set()
    for client in clients:
        if not client.first_party or client.token_endpoint_auth_method != "none":
            continue
        for uri in client.redirect_uris:
            parts = urlsplit(uri)
            scheme, host = parts.scheme.lower(), parts.hostname
            if scheme not in ("http", "https") or not host:
                continue
            host = f"[{host}]" if ":" in host else host
            default = 443 if scheme == "https" else 80
            port = "" if parts.port in (None, default) else f":{parts.port}"
            origins.add(f"{scheme}://{host}{port}")
    return frozenset(origins)


def _client_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


class Handlers:
    def __init__(self, ctx: AuthContext, server: AuthorizationServer) -> None:
        self.ctx = ctx
        self.server = server

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def configuration(self, request: Request) -> Response:
        settings = self.ctx.settings
        return JSONResponse(
            {**discovery(settings.issuer), **dpop_metadata(settings), **fapi_discovery(settings)}
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.ctx.keys.jwks(), headers={"Cache-Control": "max-age=60"})

    async def token(self, request: Request) -> Response:
        return await self.server.token_response(request)

    async def revoke(self, request: Request) -> Response:
        return await self.server.endpoint_response("revocation", request)

    async def introspect(self, request: Request) -> Response:
        return await self.server.endpoint_response("introspection", request)

    async def userinfo(self, request: Request) -> Response:
        challenge = 'Bearer error="invalid_token"'
        verified = await ProtectedResource(self.ctx).claims(request)
        if isinstance(verified, Response):
            return verified
        claims, record = verified
        scope = str(claims.get("scope", ""))
        if "openid" not in scope.split():
            return Response(
                status_code=403, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'}
            )
        client = await self.ctx.clients.get(record.client_id)
        if client is None:
            return Response(status_code=401, headers={"WWW-Authenticate": challenge})
        info = await user_claims(self.ctx, client, record.personal_id, scope)
        await record_identity_disclosure(
            self.ctx, client, record.personal_id, info, "userinfo", record.consent_id
        )
        return JSONResponse(info)

    async def register(self, request: Request) -> Response:
        """RFC 7591 dynamic registration, open only to holders of the admin credential."""
        expected = self.ctx.admin_token
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            refusal = error_json("invalid_token", "Registration needs the admin credential.", 401)
            # RFC 6750 §3: a protected resource names the scheme (and why) when it refuses.
            refusal.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return refusal
        try:
            body = await request.json()
        except ValueError:
            return error_json("invalid_client_metadata", "The body must be JSON.")
        if not isinstance(body, dict):
            return error_json("invalid_client_metadata", "The body must be a JSON object.")
        try:
            metadata = ClientMetadata.model_validate(body)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            code = (
                "invalid_redirect_uri"
                if field.startswith("redirect_uris")
                else ("invalid_client_metadata")
            )
            return error_json(code, f"{field}: {first['msg']}")
        if len(hosts(metadata.redirect_uris)) > 1:
            # OpenID Connect Core §8.1: the pairwise sector would be ambiguous.
            return error_json(
                "invalid_redirect_uri",
                "redirect_uris: all on one host (sector_identifier_uri is not supported).",
            )
        if TOKEN_EXCHANGE in metadata.grant_types:
            return error_json(
                "invalid_client_metadata", "Token exchange is for configured clients only."
            )
        try:
            effective = self.ctx.clients.profile.apply(metadata, third_party=True)
        except ValidationError as error:
            return error_json("invalid_client_metadata", error.errors()[0]["msg"])
        client, secret, issued_at = await self.ctx.clients.register(metadata)
        answer: dict[str, Any] = {
            "client_id": client.client_id,
            "client_id_issued_at": issued_at,
            **effective.model_dump(exclude_none=True),
        }
        if secret is not None:
            answer["client_secret"] = secret
            answer["client_secret_expires_at"] = 0
        return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})

    async def _resource_server(self, request: Request) -> Client | None:
        credentials = _client_credentials(request)
        if credentials is None:
            return None
        client = await self.ctx.clients.get(credentials[0])
        if client is None or not client.resource_server:
            return None
        return client if client.check_client_secret(credentials[1]) else None

    async def revocations(self, request: Request) -> Response:
        """What the gateway's polling feed reads. The keys are random token, consent and
        mandate ids that name no person, so the list needs no credentials."""
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return error_json("invalid_request", "since must be epoch seconds.")
        return JSONResponse(
            {"revocations": await revocations_since(self.ctx.engine, since)},
            headers={"Cache-Control": "no-store"},
        )

    async def disclosures(self, request: Request) -> Response:
        """The gateway records what it disclosed: one object or a list of them, written in one
        transaction (the gateway batches concurrent responses into one list): all or none."""
        if await self._resource_server(request) is None:
            return error_json("invalid_client", "Only resource servers record disclosures.", 401)
        try:
            body = await request.json()
        except ValueError:
            return error_json("invalid_request", "The body must be JSON.")
        try:
            items = [_disclosed(item) for item in (body if isinstance(body, list) else [body])]
        except (KeyError, TypeError, AttributeError, ValueError):
            return error_json(
                "invalid_request",
                "Each disclosure needs principal and client_id (strings); categories and "
                "fields are lists of strings; actor, consent_id, mandate_id, trace_id strings.",
            )
        entries = await self.ctx.access_log.record_disclosures(items)
        recorded = [{"id": e.id, "seq": e.seq, "hash": e.hash} for e in entries]
        return JSONResponse({"recorded": recorded}, status_code=201)


def _disclosed(item: Any) -> Disclosed:
    def text(name: str) -> str | None:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise TypeError(name)
        return value

    def texts(name: str) -> tuple[str, ...]:
        values = item.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise TypeError(name)
        return tuple(values)

    principal, client_id = text("principal"), text("client_id")
    if not principal or not client_id:
        raise ValueError("principal and client_id are required")
    return Disclosed(
        principal=principal,
        client_id=client_id,
        categories=texts("categories"),
        fields=texts("fields"),
        purpose=text("purpose") or "",
        actor=text("actor"),
        consent_id=text("consent_id"),
        mandate_id=text("mandate_id"),
        trace_id=text("trace_id"),
    )


def create_app(
    settings: AuthSettings,
    register: PopulationRegister | None = None,
    identity: IdentityProvider | None = None,
    gateway: GatewayTrust | None = None,
) -> Starlette:
    """The app; its context opens on start-up. Citizens sign in with `identity` if given, else
    through the eID of `AUTH_EID_ISSUER`, else (in development only) the test identity
    provider; production without any is not built (`ConfigurationError` naming
    AUTH_EID_ISSUER). The consent subgraph at `/graphql` trusts the gateway `gateway` describes
    (default: the `CITIZEN_GATEWAY_*` variables); without its JWKS URL the app is not built
    either."""
    trust = gateway if gateway is not None else load_gateway_trust()
    subgraph_verifier = gateway_verifier(trust, audience=SUBGRAPH_NAME)
    assert trust.jwks_url is not None, "gateway_verifier requires it"
    gateway_jwks_url = trust.jwks_url
    routes: list[BaseRoute] = []
    state: dict[str, Any] = {}

    async def complete_sign_in(
        request: Request, authentication: Authentication, return_to: str
    ) -> Response:
        ctx: AuthContext = state["ctx"]
        value = await ctx.sessions.create(authentication)
        response = RedirectResponse(return_to, status_code=303)
        response.set_cookie(
            COOKIE,
            value,
            max_age=settings.session_ttl,
            httponly=True,
            samesite="lax",
            secure=settings.issuer.startswith("https://"),
        )
        return response

    async def dispatch(name: str, request: Request) -> Response:
        handler = state["handlers"].get(name)
        assert handler is not None
        response: Response = await handler(request)
        if name in _CORS_HANDLERS:
            origin = request.headers.get("origin")
            if origin is not None and origin in state["browser_app_origins"]:
                response.headers["Access-Control-Allow-Origin"] = origin
            # The answer differs by Origin: no cache may hand one origin's to another.
            response.headers["Vary"] = "Origin"
        return response

    def route(path: str, name: str, methods: list[str]) -> Route:
        async def endpoint(request: Request) -> Response:
            return await dispatch(name, request)

        return Route(path, endpoint, methods=methods)

    routes += [
        route("/health", "health", ["GET"]),
        route("/.well-known/openid-configuration", "configuration", ["GET"]),
        route("/.well-known/oauth-authorization-server", "configuration", ["GET"]),
        route("/jwks.json", "jwks", ["GET"]),
        route("/authorize", "authorize_get", ["GET"]),
        route("/authorize", "authorize_post", ["POST"]),
        route("/token", "token", ["POST"]),
        route("/par", "par", ["POST"]),
        route("/revoke", "revoke", ["POST"]),
        route("/introspect", "introspect", ["POST"]),
        route("/userinfo", "userinfo", ["GET", "POST"]),
        route("/register", "register", ["POST"]),
        route("/logout", "end_session", ["GET", "POST"]),
        route("/access-log/disclosures", "disclosures", ["POST"]),
        route("/revocations", "revocations", ["GET"]),
    ]
    if settings.development:
        routes.append(route("/dev/token", "development_token", ["POST"]))

    class _GraphQL:
        # An object (not a function) so that Starlette routes it as an ASGI app.
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await state["graphql"](scope, receive, send)

    routes.append(Route("/graphql", _GraphQL(), methods=["GET", "POST"]))

    if identity is None:
        check_eid_settings(settings)
    check_configured_clients(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx = await open_context(settings, register)
        ctx.sealer = TokenSealer(gateway_jwks_url)
        idp: IdentityProvider
        if identity is not None:
            idp = identity
        elif settings.eid_issuer:
            idp = OidcIdentityProvider(settings, ctx.sessions, ctx.register, TEMPLATES)
        else:
            idp = TestIdentityProvider(ctx.register, TEMPLATES)  # development: checked above
        for idp_route in idp.routes(complete_sign_in):
            app.router.routes.append(idp_route)
        server = AuthorizationServer(ctx)
        handlers = Handlers(ctx, server)
        pushed = PushedRequests(ctx.engine, settings.par_ttl)
        pages = AuthorizePages(ctx, server, idp, TEMPLATES, pushed)
        state["ctx"] = ctx
        state["browser_app_origins"] = browser_app_origins(
            read_clients_file(settings.clients_file) if settings.clients_file else []
        )
        state["graphql"] = consent_graphql(ctx, subgraph_verifier)
        state["handlers"] = {
            "health": handlers.health,
            "configuration": handlers.configuration,
            "jwks": handlers.jwks,
            "authorize_get": pages.get,
            "authorize_post": pages.post,
            "token": handlers.token,
            "par": functools.partial(push_endpoint, ctx, server, pushed),
            "revoke": handlers.revoke,
            "introspect": handlers.introspect,
            "userinfo": handlers.userinfo,
            "register": handlers.register,
            "disclosures": handlers.disclosures,
            "revocations": handlers.revocations,
            "end_session": EndSession(ctx, TEMPLATES),
            "development_token": functools.partial(development_token, ctx),
        }
        app.state.ctx = ctx
        app.state.loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            await ctx.close()

    return Starlette(routes=routes, lifespan=lifespan)
