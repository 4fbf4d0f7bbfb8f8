"""`private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the
client signs a short-lived JWT with its own key; we verify it against the keys it
registered (`jwks`, or `jwks_uri` fetched, cached, and fetched again for an unknown `kid`).

Checks, in order: `client_assertion_type`; the header's `alg` is ES256 or PS256; `iss` = `sub`
= the client id (and = `client_id` when the form names one); the client exists and registered
`private_key_jwt`; the signature; `aud` is this server's issuer identifier and nothing else
(FAPI 2.0 §5.3.2.1 and RFC 7523bis: a token endpoint URL is refused, so an assertion made for
another server's endpoint can never be replayed here); `exp` in the future and at most
`MAX_LIFETIME` ahead; `iat` not in the future; `jti` never seen before (ReplayCache).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
from authlib.oauth2.rfc6749 import InvalidClientError
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.bridge import wait_for
from auth.clients import PRIVATE_KEY_JWT, Client
from auth.replay import ReplayCache

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("ES256", "PS256")
# An assertion is made for one request, and its jti is remembered until it expires, so a
# far-off exp is refused; an hour is what Authlib's client (and many others) make.
MAX_LIFETIME = 3600
LEEWAY = 30
# A client naming kids it never published must not make us fetch its jwks_uri in a loop.
_REFETCH_INTERVAL = 10.0


class JwksUriKeys:
    """Keys published at clients' `jwks_uri`s, cached per URI."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._cache: dict[str, tuple[KeySet, float]] = {}
        self._lock = threading.Lock()

    def get(self, uri: str, refresh: bool = False) -> KeySet:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(uri)
        if cached is not None and not (refresh and now - cached[1] >= _REFETCH_INTERVAL):
            return cached[0]
        try:
            answer = httpx.get(uri, timeout=self.timeout, follow_redirects=False)
            answer.raise_for_status()
            keys = KeySet.import_key_set(answer.json())
        except (httpx.HTTPError, ValueError, JoseError) as error:
            if cached is not None:
                return cached[0]
            raise InvalidClientError(description=f"The client's jwks_uri failed: {error}") from None
        with self._lock:
            self._cache[uri] = (keys, now)
        return keys


class PrivateKeyJWT:
    """Authlib's client authentication method `private_key_jwt`: called with authlib's
    `query_client` and request (in a worker thread); returns the client, or None when the
    request does not use this method."""

    def __init__(self, issuer: str, replay: ReplayCache, remote: JwksUriKeys) -> None:
        self.issuer = issuer
        self.replay = replay
        self.remote = remote

    def __call__(self, query_client: Any, request: Any) -> Client | None:
        form = request.form
        assertion = form.get("client_assertion")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
            return None
        header, unverified = _peek(assertion)
        if header.get("alg") not in ALGORITHMS:
            raise InvalidClientError(
                description=f"Client assertions are signed with {' or '.join(ALGORITHMS)}."
            )
        client_id = unverified.get("sub")
        if not isinstance(client_id, str) or unverified.get("iss") != client_id:
            raise InvalidClientError(description="The assertion's iss and sub must be its client.")
        if form.get("client_id") not in (None, client_id):
            raise InvalidClientError(description="client_id differs from the assertion's sub.")
        client: Client | None = query_client(client_id)
        if client is None or client.metadata.token_endpoint_auth_method != PRIVATE_KEY_JWT:
            raise InvalidClientError(description="No client authenticates with this assertion.")
        claims = self._verify(client, assertion)
        self._check_claims(claims)
        key = f"client_assertion:{client_id}:{claims['jti']}"
        if not wait_for(self.replay.first_use(key, int(claims["exp"]) + LEEWAY)):
            raise InvalidClientError(description="This client assertion was already used.")
        return client

    def _verify(self, client: Client, assertion: str) -> dict[str, Any]:
        metadata = client.metadata
        if metadata.jwks is not None:
            attempts = [KeySet.import_key_set(metadata.jwks)]  # type: ignore[arg-type]
        else:
            assert metadata.jwks_uri is not None  # ClientMetadata requires one of the two
            attempts = [self.remote.get(metadata.jwks_uri)]
        for index in range(2):
            try:
                token = jwt.decode(assertion, attempts[index], algorithms=list(ALGORITHMS))
                return dict(token.claims)
            except (JoseError, ValueError) as error:
                if index == 0 and metadata.jwks_uri is not None:
                    # The client may have rotated its keys since we fetched them.
                    attempts.append(self.remote.get(metadata.jwks_uri, refresh=True))
                    continue
                raise InvalidClientError(
                    description=f"The assertion's signature does not verify: {error}"
                ) from None
        raise AssertionError("unreachable")

    def _check_claims(self, claims: dict[str, Any]) -> None:
        aud = claims.get("aud")
        if aud != self.issuer and aud != [self.issuer]:
            raise InvalidClientError(
                description=f"The assertion's aud must be this server's issuer, {self.issuer}."
            )
        now = time.time()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or exp <= now - LEEWAY:
            raise InvalidClientError(description="The assertion has expired (or has no exp).")
        if exp > now + MAX_LIFETIME:
            raise InvalidClientError(
                description=f"The assertion may live at most {MAX_LIFETIME} seconds."
            )
        if not isinstance(iat, int) or iat > now + LEEWAY:
            raise InvalidClientError(description="The assertion needs an iat, not in the future.")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise InvalidClientError(description="The assertion needs a jti.")


def _peek(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked: only to find the client and key."""
    try:
        compact = jws.extract_compact(assertion.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError):
        raise InvalidClientError(description="The client assertion is not a JWT.") from None
    if not isinstance(claims, dict):
        raise InvalidClientError(description="The client assertion is not a JWT.")
    return dict(compact.headers()), claims
