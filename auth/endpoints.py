"""Authlib's RFC 7009 revocation and RFC 7662 introspection endpoints over our token store."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from auth.bridge import wait_for
from auth.context import AuthContext
from auth.tokens import InvalidAccessToken, TokenRecord
from gateway.token_encryption import is_encrypted


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def find_token(ctx: AuthContext, token: str, hint: str | None) -> TokenRecord | None:
    """An access token is one of our JWTs (found by `jti`); anything else may be a refresh
    token (found by hash). The hint only orders the attempts (RFC 7009 §2.1)."""
    if is_encrypted(token):
        return wait_for(ctx.tokens.by_sealed_access_token(token))
    if _looks_like_jwt(token):
        try:
            claims = ctx.verifier.decode(token)
        except InvalidAccessToken:
            return None
        return wait_for(ctx.tokens.by_jti(str(claims.get("jti"))))
    return wait_for(ctx.tokens.by_refresh_token(token))


class TokenRevocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post", "none"]

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.ctx: AuthContext = server.ctx

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return find_token(self.ctx, token_string, token_type_hint)

    def revoke_token(self, token: TokenRecord, request: Any) -> None:
        wait_for(self.ctx.tokens.revoke(token))


class TokenIntrospection(IntrospectionEndpoint):  # type: ignore[misc]
    """Resource servers (the gateway) may introspect any token; other confidential clients
    only their own."""

    CLIENT_AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post"]

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.ctx: AuthContext = server.ctx

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return find_token(self.ctx, token_string, token_type_hint)

    def check_permission(self, token: TokenRecord, client: Any, request: Any) -> bool:
        return bool(client.resource_server or token.check_client(client))

    def _subject(self, token: TokenRecord) -> str:
        """As the token's client was told it (pairwise.py): a platform's token names its
        pairwise subject, to whoever asks."""
        client = wait_for(self.ctx.clients.get(token.client_id))
        return (
            token.personal_id
            if client is None
            else self.ctx.subjects.subject(client, token.personal_id)
        )

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "active": True,
            "scope": token.scope,
            "client_id": token.client_id,
            "token_type": "refresh_token" if token.is_refresh else "Bearer",
            "sub": self._subject(token),
            "iss": self.ctx.settings.issuer,
            "aud": self.ctx.settings.audience,
            "iat": token.issued_at,
            "exp": token.refresh_expires_at if token.is_refresh else token.expires_at,
            "jti": token.jti,
            "acr": token.acr,
        }
        if token.consent_id:
            payload["consent_id"] = token.consent_id
            # RFC 9396 §9.2: what the token may be used for, as the citizen approved it.
            consent = wait_for(self.ctx.consents.get(token.consent_id))
            if consent is not None and consent.authorization_details:
                payload["authorization_details"] = list(consent.authorization_details)
        if token.mandate_id:
            payload["mandate_id"] = token.mandate_id
        if token.actor:
            payload["act"] = {"sub": token.actor}
        if token.dpop_jkt and not token.is_refresh:
            # RFC 9449 §6.2: a resource server introspecting learns the key to check.
            payload["token_type"] = "DPoP"
            payload["cnf"] = {"jkt": token.dpop_jkt}
        return payload
