"""Stage 0: who is asking. Turns a request's credentials into a `Caller` before anything else.

    Authorization: Bearer <JWT>  ─▶ verify (signature, alg allow-list, typ, iss, aud, exp, nbf)
                                    (a JWE encrypted to this gateway is opened first:
                                    token_encryption.py)
      or DPoP <JWT> + DPoP proof ─▶ not revoked (jti, consent, mandate: see revocation.py)
                                 ─▶ sender constraint: a token bound to a key (`cnf.jkt`)
                                    only as DPoP, with a valid proof by that key (dpop.py)
    no credentials               ─▶ the anonymous caller, in every profile
    development only: the development identity header ─▶ a token fetched for that person from
                                 the issuer's development endpoint, then verified as above

The caller is what later stages read: authorization checks its scopes and hands its claims to
the policy hook; the executor derives the identity it signs for subgraphs from it. A token that
fails any check is refused (`InvalidToken`, HTTP 401); it never degrades to anonymous.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import aiohttp
import orjson
from joserfc import jwt
from joserfc.errors import JoseError

from gateway.dpop import (
    DpopError,
    DpopUnavailable,
    DpopVerifier,
    MemoryReplayCache,
    Nonces,
    Presented,
    RedisReplayCache,
    ReplayCache,
    SenderConstraint,
)
from gateway.jwks import KeySetUnavailable, RemoteKeySet, UnknownKey, discovered_jwks_uri
from gateway.redis_link import RedisLink
from gateway.revocation import (
    PollingRevocationFeed,
    RedisRevocationFeed,
    RevocationFeed,
    RevocationList,
)
from gateway.settings import GatewaySettings, check_settings
from gateway.token_encryption import (
    TokenDecryption,
    UndecryptableToken,
    is_encrypted,
    load_or_create_decryption_key,
)

_log = logging.getLogger(__name__)
# RFC 9068 section 2.1; some issuers write the media type out in full.
_ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
_VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified access token's claims, or none at all: the anonymous caller."""

    claims: Mapping[str, Any] | None = None
    scopes: frozenset[str] = field(default=frozenset())

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        scope = claims.get("scope")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        return cls(MappingProxyType(dict(claims)), scopes)

    @property
    def authenticated(self) -> bool:
        return self.claims is not None


ANONYMOUS = Caller()


class InvalidToken(Exception):
    """The token was refused; the message says which check failed (RFC 6750 invalid_token).

    `challenge` holds what the WWW-Authenticate challenge says besides the description: its
    scheme, the error code and parameters such as DPoP's `algs`; `headers` what else the
    refusal carries (a DPoP-Nonce)."""

    def __init__(
        self,
        message: str,
        scheme: str = "Bearer",
        error: str = "invalid_token",
        parameters: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.scheme = scheme
        self.error = error
        self.parameters = dict(parameters or {})
        self.headers = dict(headers or {})


class AuthenticationUnavailable(Exception):
    """A token cannot be checked right now (keys or revocations out of reach): fail closed."""


class TokenVerifier:
    """Checks RFC 9068 access tokens of one issuer for one audience.

    A token that passed is remembered until it expires, so a client sending the same token on
    every request pays for the signature once; revocation is checked on every request anyway.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        algorithms: frozenset[str],
        leeway: float,
        keys: RemoteKeySet | None = None,
        decryption: TokenDecryption | None = None,
    ) -> None:
        self.issuer = issuer
        self.decryption = decryption
        self.audience = audience
        self.algorithms = algorithms
        self.leeway = leeway

        async def jwks_uri(session: aiohttp.ClientSession) -> str:
            return await discovered_jwks_uri(session, issuer)

        self.keys = keys or RemoteKeySet(jwks_uri)
        self._verified: OrderedDict[str, Caller] = OrderedDict()

    async def verify(self, token: str, now: float | None = None) -> Caller:
        """The caller the token speaks for; the Caller is built once per token and reused."""
        now = time.time() if now is None else now
        caller = self._verified.get(token)
        if caller is None:
            claims = await self._verify_signature(self._signed(token))
            self._check_claims(claims, now)
            caller = self._verified[token] = Caller.from_claims(claims)
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        else:
            assert caller.claims is not None, "only verified callers are cached"
            try:
                self._check_times(caller.claims, now)
            except InvalidToken:
                del self._verified[token]
                raise
        return caller

    def _signed(self, token: str) -> str:
        """The signed JWT itself, or the one nested in a JWE encrypted to this gateway."""
        if not is_encrypted(token):
            return token
        if self.decryption is None:
            raise InvalidToken("the token is encrypted, and this gateway opens no encrypted tokens")
        try:
            return self.decryption.open(token)
        except UndecryptableToken as error:
            raise InvalidToken(str(error)) from None

    async def _verify_signature(self, token: str) -> Mapping[str, Any]:
        header = _header(token)
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise InvalidToken(f"the token's algorithm {alg!r} is not accepted")
        if header.get("typ") not in _ACCESS_TOKEN_TYPES:
            raise InvalidToken("the token is not a JWT access token (typ at+jwt)")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the token's kid is not a string")
        try:
            key = await self.keys.key(kid)
        except UnknownKey as error:
            raise InvalidToken(f"the token is not signed by the issuer: {error}") from None
        except KeySetUnavailable as error:
            raise AuthenticationUnavailable(str(error)) from None
        try:
            decoded = jwt.decode(token, key, algorithms=[alg])
        except JoseError as error:
            raise InvalidToken(f"the token's signature does not verify ({error.error})") from None
        return MappingProxyType(dict(decoded.claims))

    def _check_claims(self, claims: Mapping[str, Any], now: float) -> None:
        if claims.get("iss") != self.issuer:
            raise InvalidToken(f"the token was not issued by {self.issuer}")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise InvalidToken(f"the token is not meant for {self.audience}")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise InvalidToken("the token names no subject")
        self._check_times(claims, now)

    def _check_times(self, claims: Mapping[str, Any], now: float) -> None:
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            raise InvalidToken("the token has no expiry (exp)")
        if now > exp + self.leeway:
            raise InvalidToken("the token has expired")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int | float) or now + self.leeway < nbf):
            raise InvalidToken("the token is not valid yet (nbf)")
        iat = claims.get("iat")
        if iat is not None and (not isinstance(iat, int | float) or now + self.leeway < iat):
            raise InvalidToken("the token was issued in the future (iat)")


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("the token is not a signed JWT (three dot-separated parts)")
    try:
        header = orjson.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidToken("the token's header is not base64url-encoded JSON") from None
    if not isinstance(header, dict):
        raise InvalidToken("the token's header is not a JSON object")
    return header


class Authenticator:
    """Turns a request's headers into a Caller. `start()` inside the event loop, `close()` after."""

    def __init__(self, settings: GatewaySettings) -> None:
        check_settings(settings)
        self.settings = settings
        self.decryption = TokenDecryption(load_or_create_decryption_key(settings.identity_key_dir))
        self.verifier: TokenVerifier | None = None
        if settings.issuer is not None:
            assert settings.audience is not None, "check_settings requires it"
            self.verifier = TokenVerifier(
                settings.issuer,
                settings.audience,
                frozenset(settings.token_algorithms),
                settings.token_leeway,
                RemoteKeySet(settings.jwks_url) if settings.jwks_url else None,
                self.decryption,
            )
        self.revocations = RevocationList(settings.revocation_claims)
        self.feeds: list[RevocationFeed] = []
        self.dev_header: str | None = None
        if settings.env == "development" and settings.dev_token_url is not None:
            self.dev_header = settings.dev_identity_header.lower()
        self._dev_tokens: dict[str, tuple[str, float]] = {}
        self._session: aiohttp.ClientSession | None = None
        self.dpop_link: RedisLink | None = None
        self.sender_constraint = self._sender_constraint()

    async def start(self) -> None:
        settings = self.settings
        if settings.revocation_redis_url:
            redis_feed = RedisRevocationFeed(
                self.revocations,
                settings.revocation_redis_url,
                settings.revocation_redis_channel,
                settings.revocation_redis_set,
            )
            self.feeds.append(redis_feed)
            await redis_feed.start()
        if settings.revocation_poll_url:
            poll_feed = PollingRevocationFeed(
                self.revocations, settings.revocation_poll_url, settings.revocation_poll_interval
            )
            self.feeds.append(poll_feed)
            await poll_feed.start()
        if self.verifier is not None:
            try:
                await self.verifier.keys.refresh()
            except KeySetUnavailable as error:
                # Not fatal: the issuer may start later; tokens get 503 until its keys arrive.
                _log.warning("the issuer's keys are not available yet: %s", error)

    def _sender_constraint(self) -> SenderConstraint:
        settings = self.settings
        replay: ReplayCache = MemoryReplayCache()
        if settings.dpop_redis_url is not None:
            self.dpop_link = RedisLink(settings.dpop_redis_url, "DPoP replay cache")
            replay = RedisReplayCache(self.dpop_link, settings.dpop_redis_prefix)
        nonces = None
        if settings.dpop_nonce:
            nonces = Nonces(
                settings.dpop_nonce_lifetime, self.dpop_link, settings.dpop_redis_prefix
            )
        verifier = DpopVerifier(
            settings.dpop_algorithms,
            iat_window=settings.dpop_iat_window,
            iat_leeway=settings.dpop_iat_leeway,
            replay=replay,
            nonces=nonces,
        )
        return SenderConstraint(verifier)

    async def close(self) -> None:
        await self.sender_constraint.close()
        for feed in self.feeds:
            await feed.stop()
        if self.verifier is not None:
            await self.verifier.keys.close()
        if self._session is not None:
            await self._session.close()

    async def authenticate(
        self, headers: Mapping[str, str], presented: Presented | None = None
    ) -> Caller:
        """`presented` is what the request brings for DPoP (its method, URL and proofs)."""
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            scheme, token = scheme.lower(), token.strip()
            if scheme not in ("bearer", "dpop") or not token:
                raise InvalidToken(
                    "the Authorization header is not 'Bearer <token>' or 'DPoP <token>'"
                )
            if scheme == "bearer":
                caller = await self._caller(token)
            else:
                try:
                    caller = await self._caller(token)
                except InvalidToken as error:
                    raise self._dpop_refusal(str(error), "invalid_token") from None
            assert caller.claims is not None
            try:
                await self.sender_constraint.check(caller.claims, scheme, token, presented)
            except DpopError as error:
                raise self._dpop_refusal(str(error), error.error, error.nonce) from None
            except DpopUnavailable as error:
                raise AuthenticationUnavailable(str(error)) from None
            return caller
        if self.dev_header is not None:
            person = headers.get(self.dev_header, "").strip()
            if person:
                return await self._caller(await self._dev_token(person))
        return ANONYMOUS

    def _dpop_refusal(self, message: str, error: str, nonce: str | None = None) -> InvalidToken:
        """RFC 9449 §7.1: the challenge names the DPoP scheme and the algorithms accepted."""
        algs = {"algs": " ".join(self.settings.dpop_algorithms)}
        return InvalidToken(message, "DPoP", error, algs, {"DPoP-Nonce": nonce} if nonce else None)

    async def _caller(self, token: str) -> Caller:
        if self.verifier is None:
            raise InvalidToken("this gateway accepts no tokens: it has no issuer configured")
        now = time.time()
        caller = await self.verifier.verify(token, now)
        if self.feeds:
            staleness = self.revocations.staleness(now)
            if staleness > self.settings.revocation_max_staleness:
                raise AuthenticationUnavailable(
                    "revocations cannot be checked: the revocation feed is out of reach"
                )
            assert caller.claims is not None
            if self.revocations.is_revoked(caller.claims):
                raise InvalidToken("the token has been revoked")
        return caller

    async def _dev_token(self, person: str) -> str:
        cached = self._dev_tokens.get(person)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        assert self.settings.dev_token_url is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._session.post(
                self.settings.dev_token_url, data={"personal_id": person}
            ) as answer:
                document = await answer.json(content_type=None)
                status = answer.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
            raise AuthenticationUnavailable(f"no development token: {error}") from None
        if status != 200 or not isinstance(document, dict) or "access_token" not in document:
            detail = document.get("error_description") if isinstance(document, dict) else None
            raise InvalidToken(f"no development identity {person!r}: {detail or status}")
        token = str(document["access_token"])
        # Renewed a minute early, so a cached token never expires between use and check.
        lifetime = float(document.get("expires_in", 60))
        self._dev_tokens[person] = (token, time.time() + max(0.0, lifetime - 60))
        return token
