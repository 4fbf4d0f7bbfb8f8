"""The portal as a confidential OpenID Connect client of the auth server (client_secret_basic).

    /signin    state + nonce + PKCE verifier kept in the session ─▶ <issuer>/authorize
    /callback  code ─▶ POST /token (code_verifier) ─▶ ID token checked ─▶ tokens in the session
    refresh    POST /token grant_type=refresh_token, shortly before the access token expires
    act for    POST /token grant_type=token-exchange (RFC 8693): the citizen's own token as
               actor, the principal's personal id as subject
    sign out   POST /revoke (RFC 7009) ─▶ <end_session_endpoint>?id_token_hint&post_logout_...

The ID token must pass every check of OIDC Core §3.1.3.7: an allowed algorithm, a key of the
issuer's JWKS, `iss`, `aud` (and `azp`), `exp`, `iat`, and the nonce this sign-in sent.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import aiohttp
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from portal.settings import PortalSettings

ALGORITHMS = ("RS256", "PS256", "ES256")
LEEWAY = 30
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PERSONAL_ID_TYPE = "urn:citizen-account:params:oauth:token-type:personal-id"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# Everything the citizen account's own app may read, and managing the account.
CATEGORIES = ("identity", "address", "family", "income", "tax", "benefits", "vehicles", "business")
SCOPE = " ".join(["openid", *(f"{c}:read" for c in CATEGORIES), "account:manage"])


class OidcError(Exception):
    """The auth server refused, or answered something the portal cannot trust."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Flow:
    """What one sign-in keeps until the auth server sends the browser back."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def start(cls) -> Flow:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: int
    refresh_token: str | None = None
    id_token: str | None = None

    @classmethod
    def from_answer(cls, body: dict[str, Any], now: float) -> Tokens:
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise OidcError("invalid_response", "no access token in the answer")
        lifetime = body.get("expires_in")
        expires_in = int(lifetime) if isinstance(lifetime, int | float) else 300
        refresh, id_token = body.get("refresh_token"), body.get("id_token")
        return cls(
            access,
            int(now) + expires_in,
            refresh if isinstance(refresh, str) else None,
            id_token if isinstance(id_token, str) else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tokens:
        return cls(
            str(data["access_token"]),
            int(data["expires_at"]),
            data.get("refresh_token"),
            data.get("id_token"),
        )


class OidcClient:
    def __init__(self, settings: PortalSettings, http: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.http = http
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document, kept for an hour."""
        if self._metadata is None or time.monotonic() - self._metadata_at > 3600:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            body = await self._get_json(url)
            if body.get("issuer") != self.settings.issuer:
                raise OidcError("invalid_issuer", "discovery names another issuer")
            self._metadata, self._metadata_at = body, time.monotonic()
        return self._metadata

    async def _endpoint(self, name: str) -> str:
        value = (await self.metadata()).get(name)
        if not isinstance(value, str):
            raise OidcError("invalid_discovery", f"the issuer has no {name}")
        return value

    async def authorization_url(self, flow: Flow) -> str:
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": SCOPE,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": flow.challenge,
            "code_challenge_method": "S256",
        }
        return f"{await self._endpoint('authorization_endpoint')}?{urlencode(query)}"

    async def redeem(self, code: str, flow: Flow) -> tuple[Tokens, dict[str, Any]]:
        """The code for tokens; the ID token's claims once every check passed."""
        tokens = await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.settings.redirect_uri,
                "code_verifier": flow.verifier,
            }
        )
        if tokens.id_token is None:
            raise OidcError("invalid_response", "no ID token in the answer")
        return tokens, await self.verify_id_token(tokens.id_token, flow.nonce)

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def exchange(self, actor_token: str, principal: str) -> Tokens:
        """A token to act for `principal` (a ward, or someone whose mandate the citizen holds)."""
        return await self._token(
            {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": principal,
                "subject_token_type": PERSONAL_ID_TYPE,
                "actor_token": actor_token,
                "actor_token_type": ACCESS_TOKEN_TYPE,
            }
        )

    async def revoke(self, token: str, hint: str) -> None:
        url = await self._endpoint("revocation_endpoint")
        async with self.http.post(
            url, data={"token": token, "token_type_hint": hint}, auth=self._auth()
        ) as response:
            if response.status != 200:
                raise OidcError("revocation_failed", f"HTTP {response.status}")

    async def end_session_url(self, id_token: str | None, after: str) -> str | None:
        """Where the browser ends its sign-in at the auth server (RP-Initiated Logout 1.0)."""
        endpoint = (await self.metadata()).get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = {"client_id": self.settings.client_id, "post_logout_redirect_uri": after}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            header = jws.extract_compact(id_token.encode()).protected
        except (JoseError, ValueError) as error:
            raise OidcError("invalid_id_token", f"not a JWT: {error}") from None
        if header.get("alg") not in ALGORITHMS:
            raise OidcError("invalid_id_token", f"algorithm {header.get('alg')!r} not allowed")
        keys = await self._jwks(str(header.get("kid", "")))
        try:
            claims = dict(jwt.decode(id_token, keys, algorithms=list(ALGORITHMS)).claims)
        except (JoseError, ValueError) as error:
            raise OidcError("invalid_id_token", f"bad signature: {error}") from None
        now = time.time()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        problems = [
            (claims.get("iss") != self.settings.issuer, "wrong issuer"),
            (self.settings.client_id not in audiences, "not meant for this client"),
            (
                (len(audiences) > 1 or "azp" in claims)
                and claims.get("azp") != self.settings.client_id,
                "wrong authorized party",
            ),
            (not isinstance(claims.get("exp"), int) or claims["exp"] + LEEWAY < now, "expired"),
            (
                not isinstance(claims.get("iat"), int) or claims["iat"] - LEEWAY > now,
                "issued later",
            ),
            (
                not isinstance(claims.get("nonce"), str)
                or not secrets.compare_digest(str(claims["nonce"]), nonce),
                "wrong nonce",
            ),
            (not isinstance(claims.get("sub"), str) or not claims["sub"], "no subject"),
        ]
        for failed, reason in problems:
            if failed:
                raise OidcError("invalid_id_token", reason)
        return claims

    async def _jwks(self, kid: str) -> KeySet:
        """The issuer's keys; fetched again (at most every 10 s) for a key id not yet known."""
        stale = self._keys is None or (
            kid
            and not any(key.kid == kid for key in self._keys.keys)
            and time.monotonic() - self._keys_at > 10
        )
        if stale:
            body = await self._get_json(await self._endpoint("jwks_uri"))
            self._keys, self._keys_at = KeySet.import_key_set(body), time.monotonic()  # type: ignore[arg-type]
        assert self._keys is not None
        return self._keys

    def _auth(self) -> aiohttp.BasicAuth:
        # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
        return aiohttp.BasicAuth(
            quote_plus(self.settings.client_id), quote_plus(self.settings.client_secret)
        )

    async def _token(self, form: dict[str, str]) -> Tokens:
        url = await self._endpoint("token_endpoint")
        try:
            async with self.http.post(url, data=form, auth=self._auth()) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise OidcError("temporarily_unavailable", str(error)) from None
        if not isinstance(body, dict):
            raise OidcError("invalid_response", "the answer is not a JSON object")
        if status != 200:
            raise OidcError(
                str(body.get("error", "server_error")), str(body.get("error_description", ""))
            )
        return Tokens.from_answer(body, time.time())

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self.http.get(url) as response:
                response.raise_for_status()
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise OidcError("temporarily_unavailable", f"{url}: {error}") from None
        if not isinstance(body, dict):
            raise OidcError("invalid_response", f"{url}: not a JSON object")
        return body
