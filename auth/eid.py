"""Sign-in through an upstream OpenID Connect provider, a national eID (Suomi.fi, Estonia's
TARA, ...): this server is its relying party, and the person its ID token names is signed in.

    GET /authorize, nobody signed in ─▶ 303 /signin/eid?return_to=<that request>
    GET /signin/eid                    state, nonce and a PKCE verifier, held for this browser
        ─▶ 303 <eID authorization_endpoint>?response_type=code&client_id&redirect_uri&scope
               &state&nonce&code_challenge&code_challenge_method=S256
    GET /signin/eid/callback?code&state      (?error&state: a page saying so)
        1. the request held for this state and this browser, taken once
        2. POST <eID token_endpoint>: the code, the PKCE verifier, our client credentials
        3. the ID token: signature (the eID's JWKS, alg allow-list), iss, aud, azp, exp, iat,
           nonce
        4. its personal id claim, looked up in the population register: unknown ─▶ 403 page
        5. complete(): a session with the eID's acr, amr and auth_time ─▶ 303 return_to

The eID's endpoints and keys come from its discovery document, which must name the issuer
configured (`AUTH_EID_ISSUER`). Every refusal is a page; none signs anyone in.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode

import aiohttp
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, OctKey
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from auth.identity import CompleteSignIn, safe_return_to
from auth.population import PopulationRegister, PopulationRegisterError
from auth.sessions import PENDING_TTL, Authentication, SessionStore
from auth.settings import AuthSettings
from subgraphs.common.settings import ConfigurationError

_log = logging.getLogger(__name__)

START_PATH = "/signin/eid"
CALLBACK_PATH = "/signin/eid/callback"
# Binds a sign-in to the browser that started it: the held request is found by its hash.
FLOW_COOKIE = "auth_eid_flow"
# When the eID's ID token has no `amr` (RFC 8176), all we know is that the eID signed them in.
DEFAULT_AMR = ("eid",)

_LEEWAY = 30
# An ID token issued longer ago than this cannot be the answer to a sign-in just started.
_MAX_ID_TOKEN_AGE = 600
_DISCOVERY_TTL = 3600.0
# A token naming an unknown key refetches the JWKS (the eID rotated), at most this often.
_KEYS_MIN_REFETCH = 10.0
_TIMEOUT = aiohttp.ClientTimeout(total=10)
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


def check_eid_settings(settings: AuthSettings) -> None:
    """Fail closed: production without an eID would have no way to sign in at all."""
    if settings.eid_issuer:
        if not settings.eid_client_id:
            raise ConfigurationError("AUTH_EID_CLIENT_ID: required with AUTH_EID_ISSUER")
        if not settings.eid_client_secret:
            raise ConfigurationError("AUTH_EID_CLIENT_SECRET: required with AUTH_EID_ISSUER")
    elif not settings.development:
        raise ConfigurationError(
            "AUTH_EID_ISSUER: required in production, where citizens sign in only through the "
            "eID (the test sign-in exists only with CITIZEN_ENV=development)"
        )


class SignInRefused(Exception):
    """Why a sign-in stops, in the words the citizen reads on the page."""

    def __init__(self, status: int, heading: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.heading = heading
        self.message = message


def _unavailable(reason: str) -> SignInRefused:
    _log.warning("the eID is not available: %s", reason)
    return SignInRefused(
        503,
        "Sign-in is not available right now",
        "Signing in needs a service that cannot be reached now. Try again in a few minutes.",
    )


def _not_verified(reason: str) -> SignInRefused:
    return SignInRefused(
        400,
        "Your sign-in could not be verified",
        f"The identity service's answer was refused: {reason}. Nobody was signed in. Go back "
        "to the service and start again.",
    )


@dataclass(frozen=True)
class _Provider:
    """What the eID's discovery document says, as far as a relying party needs it."""

    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    client_auth: Literal["client_secret_basic", "client_secret_post"]
    fetched_at: float


class OidcIdentityProvider:
    """The auth server as the relying party of an OpenID Connect eID (see the module)."""

    name = "eid"

    def __init__(
        self,
        settings: AuthSettings,
        sessions: SessionStore,
        register: PopulationRegister,
        templates: Jinja2Templates,
    ) -> None:
        self.issuer = settings.eid_issuer
        self.client_id = settings.eid_client_id
        self.client_secret = settings.eid_client_secret
        self.redirect_uri = settings.eid_redirect_uri
        self.personal_id_claim = settings.eid_personal_id_claim
        self.scope = settings.eid_scope
        self.algorithms = frozenset(settings.eid_algorithms)
        self.secure_cookie = settings.issuer.startswith("https://")
        self.sessions = sessions
        self.register = register
        self.templates = templates
        self._provider: _Provider | None = None
        self._keys: list[Key] = []
        self._keys_fetched_at = -float("inf")
        self._keys_lock = asyncio.Lock()

    def sign_in_url(self, return_to: str) -> str:
        return START_PATH + "?" + urlencode({"return_to": return_to})

    def routes(self, complete: CompleteSignIn) -> list[BaseRoute]:
        async def callback(request: Request) -> Response:
            return await self._callback(request, complete)

        return [
            Route(START_PATH, self._start, methods=["GET"]),
            Route(CALLBACK_PATH, callback, methods=["GET"]),
        ]

    async def _start(self, request: Request) -> Response:
        return_to = safe_return_to(request.query_params.get("return_to"))
        try:
            provider = await self._discover()
        except SignInRefused as refusal:
            return self._page(request, refusal, return_to)
        # One value per browser, so sign-ins started in several tabs each find theirs.
        browser = request.cookies.get(FLOW_COOKIE) or secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        # The table of authorization requests waiting for the citizen serves here too: the
        # id it returns is the `state`, usable once and only with this browser's value.
        state = await self.sessions.hold_request(
            browser, [("return_to", return_to), ("nonce", nonce), ("code_verifier", verifier)]
        )
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        endpoint = provider.authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        response = RedirectResponse(endpoint + separator + urlencode(query), status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            browser,
            max_age=PENDING_TTL,
            path=START_PATH,
            httponly=True,
            # Lax: the eID sends the browser back with a top-level GET, which carries it.
            samesite="lax",
            secure=self.secure_cookie,
        )
        return response

    async def _callback(self, request: Request, complete: CompleteSignIn) -> Response:
        params = request.query_params
        browser = request.cookies.get(FLOW_COOKIE)
        state = params.get("state")
        held = await self.sessions.take_request(browser, state) if browser and state else None
        values = dict(held) if held is not None else None
        return_to = values["return_to"] if values is not None else None
        try:
            authentication = await self._authenticate(params, values)
        except SignInRefused as refusal:
            _log.warning("eID sign-in refused (%d): %s", refusal.status, refusal.message)
            return self._page(request, refusal, return_to)
        return await complete(request, authentication, return_to or "/")

    async def _authenticate(
        self, params: QueryParams, held: dict[str, str] | None
    ) -> Authentication:
        error = params.get("error")
        if error is not None:
            # The description is the eID's free text: logged, never put on our page.
            _log.info("the eID answered %r: %s", error, params.get("error_description", ""))
            shown = error if _ERROR_CODE.fullmatch(error) else "an error"
            reason = (
                "You cancelled the sign-in, or the identity service refused it."
                if error == "access_denied"
                else f"The identity service could not sign you in ({shown})."
            )
            raise SignInRefused(400, "You were not signed in", reason)
        if held is None:
            raise SignInRefused(
                400,
                "This sign-in is not valid here",
                "It has expired, was already used, or was started in another browser. Go back "
                "to the service and start again.",
            )
        # RFC 9207: an answer naming another issuer is meant for another sign-in (mix-up).
        if params.get("iss") not in (None, self.issuer):
            raise _not_verified("it names another identity service")
        code = params.get("code")
        if not code:
            raise _not_verified("it carries no authorization code")
        provider = await self._discover()
        id_token = await self._redeem(provider, code, held["code_verifier"])
        claims = await self._verify(provider, id_token, held["nonce"])
        personal_id = claims.get(self.personal_id_claim)
        if not isinstance(personal_id, str) or not personal_id:
            raise _not_verified(f"it has no personal identity code ({self.personal_id_claim})")
        try:
            person = await self.register.person(personal_id)
        except PopulationRegisterError as failure:
            raise _unavailable(f"the population register: {failure}") from None
        if person is None:
            raise SignInRefused(
                403,
                "You cannot use the citizen account",
                "The identity service signed you in, but the population register has no record "
                "of you, so there is no account to open. Nobody was signed in.",
            )
        acr = claims.get("acr")
        amr = claims.get("amr")
        auth_time = claims.get("auth_time")
        return Authentication(
            personal_id=person.personal_id,
            acr=acr if isinstance(acr, str) else "",
            amr=(
                tuple(amr)
                if isinstance(amr, list) and amr and all(isinstance(m, str) for m in amr)
                else DEFAULT_AMR
            ),
            auth_time=int(auth_time if isinstance(auth_time, int | float) else claims["iat"]),
        )

    async def _discover(self) -> _Provider:
        provider = self._provider
        if provider is not None and time.monotonic() - provider.fetched_at < _DISCOVERY_TTL:
            return provider
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            document = await _get_json(url)
            self._provider = self._read_discovery(document)
        except SignInRefused:
            if provider is not None:
                return provider  # the eID's endpoints rarely move; keep what worked
            raise
        return self._provider

    def _read_discovery(self, document: Any) -> _Provider:
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            # OIDC Discovery §4.3: a document for another issuer is not this eID's.
            raise _unavailable(f"the discovery document does not describe {self.issuer}")
        endpoints = [document.get(name) for name in _ENDPOINTS]
        if not all(isinstance(e, str) and e for e in endpoints):
            raise _unavailable(f"the discovery document lacks one of {_ENDPOINTS}")
        methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        client_auth: Literal["client_secret_basic", "client_secret_post"]
        if "client_secret_basic" in methods:
            client_auth = "client_secret_basic"
        elif "client_secret_post" in methods:
            client_auth = "client_secret_post"
        else:
            raise _unavailable(f"no client authentication we support among {methods}")
        authorization, token, jwks = (str(e) for e in endpoints)
        return _Provider(authorization, token, jwks, client_auth, time.monotonic())

    async def _redeem(self, provider: _Provider, code: str, verifier: str) -> str:
        """The code for tokens at the eID's token endpoint; returns the ID token."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"accept": "application/json"}
        if provider.client_auth == "client_secret_basic":
            # RFC 6749 §2.3.1: both are form-urlencoded before they go into the header.
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            data.update(client_id=self.client_id, client_secret=self.client_secret)
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as http,
                http.post(provider.token_endpoint, data=data, headers=headers) as answer,
            ):
                status = answer.status
                body = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise _unavailable(f"the token endpoint: {error}") from None
        if status != 200 or not isinstance(body, dict):
            answered = body.get("error") if isinstance(body, dict) else None
            _log.warning("the eID's token endpoint answered %d %r", status, answered)
            raise _not_verified("the identity service did not accept the authorization code")
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise _not_verified("it has no ID token")
        return id_token

    async def _verify(self, provider: _Provider, token: str, nonce: str) -> dict[str, Any]:
        """OIDC Core §3.1.3.7: every check an ID token from the token endpoint must pass."""
        header = _header(token)
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise _not_verified(f"its ID token is signed with {alg!r}, which is not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _not_verified("its ID token names no usable key")
        key = await self._key(provider, kid)
        try:
            claims: dict[str, Any] = dict(jwt.decode(token, key, algorithms=[alg]).claims)
        except JoseError:
            raise _not_verified("the signature of its ID token does not verify") from None
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise _not_verified("its ID token was issued by another identity service")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences:
            raise _not_verified("its ID token is meant for another service (aud)")
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != self.client_id:
            raise _not_verified("its ID token was issued to another service (azp)")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or now > exp + _LEEWAY:
            raise _not_verified("its ID token has expired")
        if not isinstance(iat, int | float) or iat > now + _LEEWAY:
            raise _not_verified("its ID token was issued in the future (iat)")
        if now - iat > _MAX_ID_TOKEN_AGE + _LEEWAY:
            raise _not_verified("its ID token was issued too long ago (iat)")
        given = claims.get("nonce")
        if not isinstance(given, str) or not hmac.compare_digest(given, nonce):
            raise _not_verified("its ID token's nonce is not this sign-in's")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise _not_verified("its ID token names no subject")
        return claims

    async def _key(self, provider: _Provider, kid: str | None) -> Key:
        key = self._find_key(kid)
        if key is None:
            async with self._keys_lock:
                key = self._find_key(kid)
                due = time.monotonic() - self._keys_fetched_at >= _KEYS_MIN_REFETCH
                if key is None and due:
                    await self._fetch_keys(provider)
                    key = self._find_key(kid)
        if key is None:
            raise _not_verified("its ID token is signed with a key the eID does not publish")
        return key

    def _find_key(self, kid: str | None) -> Key | None:
        if kid is None:
            return self._keys[0] if len(self._keys) == 1 else None
        return next((key for key in self._keys if key.kid == kid), None)

    async def _fetch_keys(self, provider: _Provider) -> None:
        document = await _get_json(provider.jwks_uri)
        try:
            key_set = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise _unavailable(f"the JWKS at {provider.jwks_uri}: {error}") from None
        # Symmetric keys and encryption keys never sign an ID token we accept.
        self._keys = [
            key
            for key in key_set.keys
            if not isinstance(key, OctKey) and key.get("use", "sig") == "sig"
        ]
        self._keys_fetched_at = time.monotonic()

    def _page(self, request: Request, refusal: SignInRefused, return_to: str | None) -> Response:
        return self.templates.TemplateResponse(
            request,
            "signin_refused.html",
            {"heading": refusal.heading, "message": refusal.message, "retry": return_to},
            status_code=refusal.status,
            headers={"Cache-Control": "no-store"},
        )


async def _get_json(url: str) -> Any:
    try:
        async with (
            aiohttp.ClientSession(timeout=_TIMEOUT) as http,
            http.get(url, headers={"accept": "application/json"}) as answer,
        ):
            if answer.status != 200:
                raise _unavailable(f"{url} answered HTTP {answer.status}")
            return await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise _unavailable(f"{url}: {error}") from None


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise _not_verified("its ID token is not a signed JWT")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError):
        raise _not_verified("its ID token's header is not base64url-encoded JSON") from None
    if not isinstance(header, dict):
        raise _not_verified("its ID token's header is not a JSON object")
    return header
