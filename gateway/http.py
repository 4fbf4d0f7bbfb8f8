"""Stage 6: GraphQL over HTTP, on Starlette.

POST with a JSON body (a POST a browser could send cross-site unasked is refused first, see
gateway/cross_origin.py), GET for queries; answers `application/graphql-response+json` when the
client accepts it, `application/json` otherwise. Requests that cannot be executed (malformed
JSON, no query, a document that does not parse or validate, bad variables) get 400 with a
GraphQL error body; a mutation over GET gets 405. A browser's GET without a query (its Accept
ranks text/html above JSON) gets the GraphiQL page instead, where the settings have it on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import orjson
from opentelemetry.trace import Span, SpanKind
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway import tracing
from gateway.authentication import AuthenticationUnavailable, InvalidToken
from gateway.cross_origin import CSRF_MESSAGE, cors_middleware, preflighted
from gateway.dpop import Presented
from gateway.errors import (
    AUTHENTICATION_UNAVAILABLE,
    BAD_REQUEST,
    CSRF_PREVENTED,
    DISCLOSURE_LOG_UNAVAILABLE,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    UNAUTHENTICATED,
    UNSUPPORTED_MEDIA_TYPE,
    DisclosureUnavailable,
    graphql_error,
)
from gateway.graphiql import ASSETS_PATH, CALLBACK_PATH, GraphiQL, sign_in_from
from gateway.guide import GUIDE_PATH, Guide
from gateway.operation import RequestError
from gateway.persisted import PersistedDocumentError
from gateway.pipeline import Gateway
from gateway.ratelimit import RateLimited
from gateway.readiness import readiness
from gateway.settings import GatewaySettings
from gateway.shedding import LoadShedding

_log = logging.getLogger("gateway.http")
_GRAPHQL_RESPONSE = "application/graphql-response+json"
_JSON = "application/json"


def create_app(supergraph_sdl: str, *, settings: GatewaySettings | None = None) -> Starlette:
    """The gateway as an ASGI app; raises SupergraphError if the supergraph cannot be served."""
    gateway = Gateway(supergraph_sdl, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()

    graphiql = None
    if gateway.settings.graphiql:
        graphiql = GraphiQL(
            gateway.settings.graphiql_default_headers,
            sign_in_from(gateway.settings),
            gateway.settings.graphiql_guide_url,
        )
    endpoint = _GraphQLEndpoint(gateway, graphiql)
    routes = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        Route("/health", _health, methods=["GET"]),
        Route("/ready", _ready(gateway), methods=["GET"]),
        Route("/.well-known/jwks.json", _jwks(gateway), methods=["GET"]),
    ]
    if gateway.settings.guide_file is not None:
        routes.append(Route(GUIDE_PATH, Guide(gateway.settings.guide_file).page, methods=["GET"]))
    if graphiql is not None:
        routes.append(Route(ASSETS_PATH + "/{name}", graphiql.asset, methods=["GET"]))
        if graphiql.sign_in is not None:
            routes.append(Route(CALLBACK_PATH, graphiql.callback, methods=["GET"]))
    shedding = Middleware(
        LoadShedding,
        max_in_flight=gateway.settings.max_in_flight_requests,
        retry_after=gateway.settings.overload_retry_after,
    )
    # CORS outermost: a preflight is answered without counting as a request in flight.
    middleware = [*cors_middleware(gateway.settings), shedding]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.gateway = gateway
    return app


async def _health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type=_JSON)


def _ready(gateway: Gateway) -> Callable[[Request], Awaitable[Response]]:
    """200 when every dependency this configuration needs is in reach, else 503 naming which."""
    apq = gateway.persisted.apq
    stores = {
        "rate_limits": gateway.rate_limits.redis,
        "apq": apq.redis if apq else None,
        "dpop": gateway.authenticator.dpop_link,
    }

    async def ready(request: Request) -> Response:
        report = await readiness(gateway.authenticator, stores)
        status = 200 if report["ready"] else 503
        return Response(orjson.dumps(report), status_code=status, media_type=_JSON)

    return ready


def _jwks(gateway: Gateway) -> Callable[[Request], Awaitable[Response]]:
    """The public keys subgraphs check identity tokens with, and the one issuers encrypt
    access tokens to (`use: enc`)."""
    keys = [*gateway.identity.jwks()["keys"], gateway.authenticator.decryption.public_jwk()]
    body = orjson.dumps({"keys": keys})

    async def jwks(request: Request) -> Response:
        return Response(body, media_type=_JSON, headers={"cache-control": "max-age=60"})

    return jwks


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, code: str = BAD_REQUEST) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class _GraphQLEndpoint:
    def __init__(self, gateway: Gateway, graphiql: GraphiQL | None) -> None:
        self.gateway = gateway
        self.graphiql = graphiql
        self.settings = gateway.settings
        # Traced, the gateway writes trace context per fetch; untraced, the client's passes.
        names = [h.lower() for h in self.settings.propagate_headers]
        self.propagate = tuple(n for n in names if n not in tracing.TRACE_HEADERS)
        self.propagate_untraced = (*self.propagate, *sorted(tracing.TRACE_HEADERS))

    async def handle(self, request: Request) -> Response:
        if (
            self.graphiql is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and _prefers_html(request.headers.get("accept", ""))
        ):
            return await self.graphiql.page(request)
        media_type = _response_media_type(request.headers.get("accept", ""))
        if not tracing.enabled:
            return await self._answer(request, media_type, None)
        with tracing.tracer.start_as_current_span(
            "graphql.request",
            context=tracing.incoming_context(request.headers),
            kind=SpanKind.SERVER,
        ) as span:
            response = await self._answer(request, media_type, span)
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    async def _answer(self, request: Request, media_type: str, span: Span | None) -> Response:
        if request.method == "POST" and not preflighted(request.headers):
            return _refuse(CSRF_MESSAGE, CSRF_PREVENTED, 400, media_type)
        limited = await self.gateway.rate_limits.check_address(request.client, request.headers)
        if limited is not None:
            return _rate_limited(limited, media_type)
        try:
            caller = await self.gateway.authenticator.authenticate(
                request.headers, self._presented(request)
            )
        except InvalidToken as error:
            # The message may quote the token's header (its alg, its kid).
            message = self.gateway.exposure.truncate(str(error))
            # RFC 6750 section 3: the challenge names the error; the body says which check failed.
            # A header is Latin-1 at most, and a kid may be anything.
            description = message.encode("ascii", "replace").decode()
            description = description.replace("\\", "").replace('"', "'")
            challenge = f'{error.scheme} error="{error.error}", error_description="{description}"'
            challenge += "".join(f', {name}="{value}"' for name, value in error.parameters.items())
            return _refuse(
                message,
                UNAUTHENTICATED,
                401,
                media_type,
                {"www-authenticate": challenge, **error.headers},
            )
        except AuthenticationUnavailable as error:
            _log.warning("refusing a token: %s", error)
            return _unavailable(
                "Tokens cannot be checked right now; try again shortly.",
                AUTHENTICATION_UNAVAILABLE,
                media_type,
            )
        limited = await self.gateway.rate_limits.check_client(caller.claims)
        if limited is not None:
            return _rate_limited(limited, media_type)
        try:
            params = await self._params(request)
            query = await self.gateway.persisted.document(params)
            if not isinstance(query, str) or not query.strip():
                raise _BadRequest("The request has no query.")
            operation_name = params.get("operationName")
            if operation_name is not None and not isinstance(operation_name, str):
                raise _BadRequest("operationName must be a string.")
            variables = params.get("variables")
            if variables is not None and not isinstance(variables, dict):
                raise _BadRequest("variables must be a JSON object.")
            prepared = self.gateway.prepare(query, operation_name)
            if span is not None:
                span.set_attribute("graphql.operation.type", prepared.kind)
                if operation_name:
                    span.set_attribute("graphql.operation.name", operation_name)
            if request.method == "GET" and prepared.kind != "query":
                raise _BadRequest(
                    f"A {prepared.kind} cannot be sent with GET; use POST.",
                    405,
                    METHOD_NOT_ALLOWED,
                )
            forwarded = self.propagate if tracing.enabled else self.propagate_untraced
            headers = {name: value for name in forwarded if (value := request.headers.get(name))}
            include_plan = self.settings.expose_query_plan and (
                request.headers.get("x-query-plan", "").lower() == "true"
            )
            result = await self.gateway.execute(
                prepared,
                variables,
                headers,
                caller=caller,
                include_plan=include_plan,
                trace_id=tracing.trace_id(request.headers),
            )
        except _BadRequest as error:
            headers_out = {"allow": "POST"} if error.status == 405 else None
            message = self.gateway.exposure.truncate(str(error))  # may quote a Content-Type
            return _refuse(message, error.code, error.status, media_type, headers_out)
        except RequestError as error:
            return _respond({"errors": [_with_code(e) for e in error.errors]}, 400, media_type)
        except PersistedDocumentError as error:
            return _refuse(str(error), error.code, error.status, media_type)
        except DisclosureUnavailable:
            # Logged by the stage. Nothing of the answer leaves without its record.
            return _unavailable(
                "The disclosure log cannot record this response right now, so it is "
                "withheld; try again shortly.",
                DISCLOSURE_LOG_UNAVAILABLE,
                media_type,
            )
        except Exception:
            _log.exception("unexpected error while serving a GraphQL request")
            return _refuse("Internal gateway error.", INTERNAL_SERVER_ERROR, 500, media_type)
        return _respond(result, 200, media_type)

    def _presented(self, request: Request) -> Presented | None:
        """The method and URL a DPoP proof must name: the URL as clients address the gateway
        (GATEWAY_PUBLIC_URL behind a proxy), else as this request reached it. Only a request
        presenting a DPoP token needs them; the others are spared building the URL."""
        if request.headers.get("authorization", "").lstrip()[:5].lower() != "dpop ":
            return None
        public = self.settings.public_url
        url = public.rstrip("/") + request.url.path if public else str(request.url)
        return Presented(request.method, url, tuple(request.headers.getlist("dpop")))

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = orjson.loads(params[name])
                    except orjson.JSONDecodeError:
                        raise _BadRequest(f"{name} is not valid JSON.") from None
            return params
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (_JSON, "application/graphql+json"):
            raise _BadRequest(
                f"Content-Type {content_type!r} is not supported; send application/json.",
                415,
                UNSUPPORTED_MEDIA_TYPE,
            )
        length = request.headers.get("content-length")
        if (
            length is not None
            and length.isdigit()
            and int(length) > self.settings.max_request_bytes
        ):
            raise _BadRequest("The request body is too large.", 413, PAYLOAD_TOO_LARGE)
        # Read as it arrives, so a chunked body (which names no length) is refused at the
        # limit rather than held whole.
        chunks: list[bytes] = []
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > self.settings.max_request_bytes:
                raise _BadRequest("The request body is too large.", 413, PAYLOAD_TOO_LARGE)
            chunks.append(chunk)
        body = b"".join(chunks)
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise _BadRequest(f"The request body is not valid JSON: {error}.") from None
        if not isinstance(params, dict):
            raise _BadRequest("The request body must be a JSON object.")
        return params


def _with_code(error: dict[str, Any]) -> dict[str, Any]:
    if "extensions" in error:
        return error
    code = (
        GRAPHQL_PARSE_FAILED
        if error.get("message", "").startswith("Syntax Error")
        else GRAPHQL_VALIDATION_FAILED
    )
    return {**error, "extensions": {"code": code}}


def _response_media_type(accept: str) -> str:
    if _GRAPHQL_RESPONSE in accept:
        return _GRAPHQL_RESPONSE
    return _JSON


def _prefers_html(accept: str) -> bool:
    """Whether the Accept header ranks text/html above every JSON type, as a browser's does.
    A tie goes to JSON: a client that names JSON at all is a program."""
    html = json = 0.0
    for item in accept.split(","):
        media_range, *params = (part.strip().lower() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range == "text/html":
            html = max(html, quality)
        elif media_range in (_JSON, _GRAPHQL_RESPONSE):
            json = max(json, quality)
    return html > json


def _unavailable(message: str, code: str, media_type: str) -> Response:
    """503 for a dependency the gateway must not answer without (fail closed)."""
    return _refuse(message, code, 503, media_type, {"retry-after": "5"})


def _rate_limited(limited: RateLimited, media_type: str) -> Response:
    """429 with the whole seconds after which the window admits the caller again."""
    message = f"{limited.message} Try again in {limited.retry_after} s."
    return _refuse(
        message, RATE_LIMITED, 429, media_type, {"retry-after": str(limited.retry_after)}
    )


def _refuse(
    message: str,
    code: str,
    status: int,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A request refused as a whole: one GraphQL error with its code, no data."""
    error = graphql_error(message, code=code)
    return _respond({"errors": [error]}, status, media_type, headers)


def _respond(
    payload: Mapping[str, Any],
    status: int,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type=media_type, headers=headers
    )


__all__ = ["create_app"]
