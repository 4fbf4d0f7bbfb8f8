"""RFC 8693 token exchange for delegation: a delegate acts for a principal.

    grant_type=urn:ietf:params:oauth:grant-type:token-exchange
    subject_token=<principal's personal id>
    subject_token_type=urn:citizen-account:params:oauth:token-type:personal-id
    actor_token=<the delegate's access token from this server>
    actor_token_type=urn:ietf:params:oauth:token-type:access_token
    scope=<optional: a subset of what the authority allows>

The answer is an access token with `sub` = principal, `act` = {"sub": delegate} and scopes
limited to the themes of an effective mandate, or to every category under guardianship of a
minor child. Without either the request fails with `invalid_request` (RFC 8693 §2.2.2: the
tokens are "unacceptable based on policy") and a description saying why.

Only a client registered with the grant type (configured clients only) may exchange, and only
an actor token issued to itself; a public client (no secret) must also be first-party.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants.base import BaseGrant, TokenEndpointMixin

from auth.authorization_details import CATEGORIES
from auth.bridge import wait_for
from auth.clients import TOKEN_EXCHANGE
from auth.context import AuthContext
from auth.dpop import bound_key, require_binding
from auth.grants import CLIENT_AUTH_METHODS
from auth.guardianship import find_guardianship, majority_date
from auth.population import PopulationRegisterError
from auth.tokens import Grantee, InvalidAccessToken

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
PERSONAL_ID_TYPE = "urn:citizen-account:params:oauth:token-type:personal-id"


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    error = "invalid_target"


class TemporarilyUnavailableError(OAuth2Error):  # type: ignore[misc]
    error = "temporarily_unavailable"
    status_code = 503


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):  # type: ignore[misc]
    GRANT_TYPE = TOKEN_EXCHANGE
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    @property
    def ctx(self) -> AuthContext:
        ctx: AuthContext = self.server.ctx
        return ctx

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client may not use token exchange.")
        if client.is_public and not client.first_party:
            # Without a secret, holding the actor token is all a caller proves: only the
            # platform's own apps are trusted that far (and only with their own tokens, below).
            raise UnauthorizedClientError("Only first-party apps may exchange without a secret.")
        self.request.client = client
        form = self.request.form
        for name in ("subject_token", "subject_token_type", "actor_token", "actor_token_type"):
            if not form.get(name):
                raise InvalidRequestError(f"Missing '{name}': delegation needs both tokens.")
        if form["subject_token_type"] != PERSONAL_ID_TYPE:
            raise InvalidRequestError(f"'subject_token_type' must be '{PERSONAL_ID_TYPE}'.")
        if form["actor_token_type"] != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(f"'actor_token_type' must be '{ACCESS_TOKEN_TYPE}'.")
        requested = form.get("requested_token_type")
        if requested and requested != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError("Only access tokens can be requested.")
        for target in ("audience", "resource"):
            value = form.get(target)
            if value and value != self.ctx.settings.audience:
                raise InvalidTargetError(
                    f"Tokens are only issued for '{self.ctx.settings.audience}'."
                )

        try:
            actor_claims, actor_record = wait_for(self.ctx.verifier.verify(form["actor_token"]))
        except InvalidAccessToken as error:
            raise InvalidRequestError(f"The actor_token is not valid: {error}.") from None
        if actor_record.client_id != client.client_id:
            raise InvalidRequestError("The actor_token was issued to another client.")
        if "act" in actor_claims:
            raise InvalidRequestError("A delegated token cannot be delegated again.")
        require_binding(bound_key(actor_claims), self.request.dpop_jkt, "The actor_token")
        delegate = str(actor_claims["sub"])
        principal = form["subject_token"]

        grantee, allowed = self._authority(principal, delegate, actor_claims)
        scope = self.request.payload.scope
        if scope:
            wanted = scope.split()
            if not set(wanted) <= set(allowed):
                raise InvalidScopeError(f"The authority allows only: {' '.join(allowed)}.")
            allowed = wanted
        grantee.extra["scope"] = " ".join(allowed)
        self.request.user = grantee

    def _authority(
        self, principal: str, delegate: str, actor_claims: dict[str, Any]
    ) -> tuple[Grantee, list[str]]:
        ctx = self.ctx
        now = int(time.time())
        common = Grantee(
            personal_id=principal,
            actor=delegate,
            acr=str(actor_claims.get("acr", "")),
            amr=tuple(actor_claims.get("amr") or ()),
            auth_time=int(actor_claims.get("auth_time", now)),
        )
        mandates = wait_for(ctx.mandates.effective_for(principal, delegate, now))
        if mandates:
            scope = self.request.payload.scope
            wanted = set(scope.split()) if scope else set()
            covering = [m for m in mandates if wanted <= {f"{t}:read" for t in m.themes}]
            mandate = max(covering or mandates, key=lambda m: (len(m.themes), m.created_at))
            return (
                replace(
                    common,
                    mandate_id=mandate.id,
                    delegation="mandate",
                    not_after=mandate.valid_until,
                    extra={},
                ),
                [f"{t}:read" for t in mandate.themes],
            )
        try:
            guardianship = wait_for(find_guardianship(ctx.register, delegate, principal))
        except PopulationRegisterError:
            raise TemporarilyUnavailableError(
                "The population register cannot be reached to check guardianship."
            ) from None
        if guardianship is not None:
            return (
                replace(
                    common,
                    delegation="guardianship",
                    not_after=guardianship.ends_at,
                    extra={},
                ),
                [f"{c}:read" for c in CATEGORIES],
            )
        raise InvalidRequestError(self._why_not(principal, delegate, now))

    def _why_not(self, principal: str, delegate: str, now: int) -> str:
        """A plain reason for the refusal, naming the closest authority that failed."""
        ctx = self.ctx
        for mandate in wait_for(ctx.mandates.involving(principal)):
            if mandate.principal != principal or mandate.delegate != delegate:
                continue
            status = mandate.status(now)
            if status == "EXPIRED":
                return f"The mandate {mandate.id} expired on {_day(mandate.valid_until)}."
            if status == "REVOKED":
                return f"The mandate {mandate.id} was revoked by {principal}."
            if status == "PENDING":
                return f"The mandate {mandate.id} has not been accepted by {delegate}."
            if mandate.valid_from > now:
                return f"The mandate {mandate.id} starts on {_day(mandate.valid_from)}."
        try:
            wards = wait_for(ctx.register.wards_of(delegate))
        except PopulationRegisterError:
            wards = []
        for ward in wards:
            if ward.personal_id == principal and ward.date_of_birth is not None:
                return (
                    f"Guardianship ended on {majority_date(ward.date_of_birth).isoformat()}: "
                    f"{principal} has turned 18."
                )
        return f"No valid mandate or guardianship lets {delegate} act for {principal}."

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        user: Grantee = self.request.user
        token = self.generate_token(
            user=user, scope=user.extra["scope"], include_refresh_token=False
        )
        token["issued_token_type"] = ACCESS_TOKEN_TYPE
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
