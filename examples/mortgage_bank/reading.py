"""Reading the figures with a session's tokens: refreshing them when due, and what a refusal
means for the citizen's consent (withdrawn, run out, or the citizen account unreachable)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from examples.mortgage_bank.figures import GatewayUnavailable, ReadRefused, read_figures
from examples.mortgage_bank.oauth import TokenRefused, Tokens, refresh
from examples.mortgage_bank.registration import Credentials, Provider, ProviderUnavailable
from examples.mortgage_bank.sessions import BankSession

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reader:
    http: aiohttp.ClientSession
    provider: Provider
    credentials: Credentials
    gateway_url: str
    refresh_margin: float  # refresh when the access token has less than this left
    client_refused: Callable[[], None]  # the issuer no longer accepts the bank's credentials

    async def read(self, session: BankSession, force_refresh: bool) -> None:
        """Read the figures into the session, or why it could not; the caller holds the
        session's lock."""
        tokens = session.tokens
        if tokens is None:
            return
        try:
            if force_refresh or tokens.expires_within(self.refresh_margin):
                tokens = await self._refresh(session, tokens, revoked=False)
                if tokens is None:
                    return
            try:
                figures = await read_figures(self.http, self.gateway_url, tokens.access_token)
            except ReadRefused as refused:
                # The access token stopped working before its time: the refresh token tells
                # whether the grant behind it still stands.
                tokens = await self._refresh(session, tokens, refused.revoked)
                if tokens is None:
                    return
                figures = await read_figures(self.http, self.gateway_url, tokens.access_token)
        except ReadRefused as refused:
            session.forget_access("withdrawn" if refused.revoked else "expired")
        except (GatewayUnavailable, ProviderUnavailable) as error:
            _log.warning("could not read the figures: %s", error)
            session.problem = "unavailable"
        else:
            session.figures = figures
            session.problem = None

    async def _refresh(self, session: BankSession, tokens: Tokens, revoked: bool) -> Tokens | None:
        """New tokens, kept in the session; None when the grant has ended (and why is set).

        The server answers `invalid_grant` alike for a withdrawn consent and one that ran
        out. While the access token has not run out it cannot be the consent's end (the
        consent bounds both tokens), so the citizen withdrew it; so it is too when the
        gateway said the token was revoked."""
        try:
            session.tokens = await refresh(self.http, self.provider, self.credentials, tokens)
        except TokenRefused as error:
            if error.error == "invalid_client":
                self.client_refused()
            withdrawn = revoked or not tokens.expires_within(0)
            session.forget_access("withdrawn" if withdrawn else "expired")
            return None
        return session.tokens
