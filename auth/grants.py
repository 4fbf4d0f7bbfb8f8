"""Authlib's authorization code and refresh token grants, PKCE (S256 only), OpenID Connect ID
tokens and RFC 9068 JWT access tokens, bound to our stores."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import replace
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import OpenIDCode, UserInfo
from joserfc.jwk import KeySet

from auth import authorization_details
from auth.authority import ACCOUNT_SCOPE, authority_claims
from auth.bridge import wait_for
from auth.codes import AuthorizationCode
from auth.context import AuthContext
from auth.dpop import require_binding
from auth.keys import ALGORITHM
from auth.tokens import ACCESS_TOKEN_TYP, Grantee, hash_token
from auth.userinfo import record_identity_disclosure, user_claims

# private_key_jwt first: an assertion that fails must be refused, not skipped.
CLIENT_AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post", "none"]


def _ctx(grant: Any) -> AuthContext:
    ctx: AuthContext = grant.server.ctx
    return ctx


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE is required of every client and only S256 is accepted (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationDetailsCheck:
    """Parses `authorization_details` (and `<category>:read` scopes) at the authorization
    endpoint; errors redirect to the client as RFC 9396 `invalid_authorization_details`."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant: Any, redirect_uri: str) -> None:
        request = grant.request
        client = request.client
        if ACCOUNT_SCOPE in (request.payload.scope or "").split() and not client.first_party:
            raise InvalidScopeError(f"'{ACCOUNT_SCOPE}' is for the citizen account's own apps")
        request.citizen_data = authorization_details.parse(
            request.payload.data.get("authorization_details"),
            request.payload.scope,
            client.metadata.purpose,
            client.metadata.data_categories,
        )


class OpenIDConnect(OpenIDCode):  # type: ignore[misc]
    def __init__(self, ctx: AuthContext) -> None:
        super().__init__(require_nonce=False)
        self.ctx = ctx
        self._local = threading.local()

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return wait_for(self.ctx.codes.nonce_used(request.payload.client_id, nonce))

    def resolve_client_private_key(self, client: Any) -> KeySet:
        return KeySet([self.ctx.keys.active_for(id_token_algorithm(client)).key])

    def get_client_algorithm(self, client: Any) -> str:
        return id_token_algorithm(client)

    def get_encode_header(self, client: Any) -> dict[str, str]:
        alg = id_token_algorithm(client)
        return {"alg": alg, "kid": self.ctx.keys.active_for(alg).kid}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        return {
            "iss": self.ctx.settings.issuer,
            "aud": [client.get_client_id()],
            "exp": int(time.time()) + self.ctx.settings.id_token_ttl,
        }

    def encode_id_token(self, token: dict[str, Any], request: Any) -> str:
        # generate_user_info is given no client; the ID token's `sub` depends on it.
        self._local.client = request.client
        id_token: str = super().encode_id_token(token, request)
        return id_token

    def generate_user_info(self, user: Grantee, scope: str) -> UserInfo:
        client = self._local.client
        claims = wait_for(user_claims(self.ctx, client, user.personal_id, scope))
        wait_for(
            record_identity_disclosure(
                self.ctx, client, user.personal_id, claims, "id_token", user.consent_id
            )
        )
        return UserInfo(claims)


def id_token_algorithm(client: Any) -> str:
    """The client's `id_token_signed_response_alg` (the FAPI profile makes it PS256), else
    RS256, which OpenID Connect lets every client expect."""
    return str(client.metadata.id_token_signed_response_alg or ALGORITHM)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        user: Grantee = request.user
        data = request.payload.data
        record = AuthorizationCode(
            code_hash="",
            client_id=request.client.client_id,
            personal_id=user.personal_id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=user.extra["scope"],
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            consent_id=user.consent_id,
            acr=user.acr,
            amr=user.amr,
            auth_time=user.auth_time,
            dpop_jkt=data.get("dpop_jkt"),
        )
        wait_for(_ctx(self).codes.save(code, record))

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        ctx = _ctx(self)
        outcome, record = wait_for(ctx.codes.consume(code, client.client_id))
        if outcome == "reused":
            # RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
            wait_for(ctx.tokens.revoke_grant("code", hash_token(code)))
        return record

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        pass  # consumed when queried

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Grantee | None:
        ctx = _ctx(self)
        require_binding(authorization_code.dpop_jkt, self.request.dpop_jkt, "The code")
        details: tuple[dict[str, Any], ...] = ()
        not_after = None
        refreshable = True
        if authorization_code.consent_id:
            consent = wait_for(ctx.consents.get(authorization_code.consent_id))
            if consent is None or consent.status() != "ACTIVE":
                raise InvalidGrantError("The consent behind this code is no longer active.")
            details = consent.authorization_details
            not_after = consent.expires_at
            refreshable = consent.recurrence == "recurring"
        return Grantee(
            personal_id=authorization_code.personal_id,
            acr=authorization_code.acr,
            amr=authorization_code.amr,
            auth_time=authorization_code.auth_time,
            consent_id=authorization_code.consent_id,
            authorization_details=details,
            not_after=not_after,
            code_hash=authorization_code.code_hash,
            extra={"refreshable": refreshable},
        )


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Any:
        ctx = _ctx(self)
        record = wait_for(ctx.tokens.by_refresh_token(refresh_token))
        client = self.request.client
        if record is None or not record.check_client(client):
            return None
        if record.revoked_at is not None or record.is_expired():
            return None
        if client.is_public:
            # Checked before rotation: a thief without the key does not use the token up.
            require_binding(record.dpop_jkt, self.request.dpop_jkt, "The refresh token")
        if not wait_for(ctx.tokens.mark_rotated(record)):
            # A rotated refresh token came back: whoever holds the family may be an
            # attacker, so the whole family is revoked (RFC 9700 §4.14.2).
            if record.code_hash:
                wait_for(ctx.tokens.revoke_grant("code", record.code_hash))
            return None
        return record

    def authenticate_user(self, refresh_token: Any) -> Grantee | None:
        ctx = _ctx(self)
        grantee: Grantee = refresh_token.grantee()
        details: tuple[dict[str, Any], ...] = ()
        not_after = None
        if grantee.consent_id:
            consent = wait_for(ctx.consents.get(grantee.consent_id))
            if consent is None or consent.status() != "ACTIVE":
                return None
            details = consent.authorization_details
            not_after = consent.expires_at
        return replace(
            grantee,
            authorization_details=details,
            not_after=not_after,
            extra={"refreshable": True},
        )

    def revoke_old_credential(self, refresh_token: Any) -> None:
        pass  # retired atomically in authenticate_refresh_token


class AccessTokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens (`typ: at+jwt`) signed with the active key, carrying the
    authority they were issued under: `consent_id`, `mandate_id`, `act`, and the approved
    `authorization_details`. No token outlives that authority (`Grantee.not_after`)."""

    def __init__(self, ctx: AuthContext) -> None:
        super().__init__(
            issuer=ctx.settings.issuer,
            alg=ctx.settings.access_token_signing_alg,
            refresh_token_generator=_refresh_token,
        )
        self.ctx = ctx
        self._local = threading.local()

    def get_jwks(self) -> KeySet:
        return KeySet([self.ctx.keys.active_for(self.alg).key])

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        return self.ctx.settings.audience

    def get_acr(self, user: Grantee | None) -> str | None:
        return user.acr if user else None

    def get_auth_time(self, user: Grantee | None) -> int | None:
        return user.auth_time if user else None

    def get_amr(self, user: Grantee | None) -> list[str] | None:
        return list(user.amr) if user else None

    def get_extra_claims(
        self, client: Any, grant_type: str, user: Grantee, scope: str
    ) -> dict[str, Any]:
        claims = wait_for(
            authority_claims(self.ctx.register, user, bool(getattr(client, "first_party", False)))
        )
        if user.consent_id:
            claims["consent_id"] = user.consent_id
        if user.authorization_details:
            claims["authorization_details"] = list(user.authorization_details)
        if user.actor:
            claims["act"] = {"sub": user.actor}
            claims["delegation"] = user.delegation
        if user.mandate_id:
            claims["mandate_id"] = user.mandate_id
        if user.extra.get("dpop_jkt"):
            claims["cnf"] = {"jkt": user.extra["dpop_jkt"]}
        return claims

    def access_token_generator(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        # authlib's own encodes without an algorithm list, so joserfc would refuse PS256
        # (not in its "recommended" set); the claims are authlib's, signed by our KeyStore.
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "exp": now + self._get_expires_in(client, grant_type),
            "client_id": client.get_client_id(),
            "iat": now,
            "jti": self.get_jti(client, grant_type, user, scope),
            "scope": scope,
            "sub": str(user.get_user_id()) if user else client.get_client_id(),
            "aud": self.get_audiences(client, user, scope),
        }
        for name, value in (
            ("auth_time", self.get_auth_time(user)),
            ("acr", self.get_acr(user)),
            ("amr", self.get_amr(user)),
        ):
            if value:
                claims[name] = value
        claims.update(self.get_extra_claims(client, grant_type, user, scope))
        return self.ctx.keys.sign(claims, typ=ACCESS_TOKEN_TYP, alg=self.alg)

    def _get_expires_in(self, client: Any, grant_type: str) -> int:
        expires_in: int = self._local.expires_in
        return expires_in

    def generate(
        self,
        grant_type: str,
        client: Any,
        user: Grantee | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        expires_in = expires_in or self.ctx.settings.access_token_ttl
        if user is not None and user.not_after is not None:
            expires_in = min(expires_in, user.not_after - int(time.time()))
            if expires_in <= 0:
                raise InvalidGrantError("The authority for this token has ended.")
        self._local.expires_in = expires_in
        token: dict[str, Any] = super().generate(
            grant_type, client, user, scope, expires_in, include_refresh_token
        )
        return token


def _refresh_token(**_: Any) -> str:
    return secrets.token_urlsafe(32)
