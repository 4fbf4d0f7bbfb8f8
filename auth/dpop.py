"""DPoP at the authorization server (RFC 9449): a proof on a token request binds what is issued
to the client's key, and the userinfo endpoint checks a bound token's proof. The proof checks
themselves are the gateway's generic ones (gateway/dpop.py).

    POST /token + DPoP proof (htm POST, htu <issuer>/token)
        ─▶ the access token carries cnf.jkt and is token_type DPoP
        ─▶ a public client's refresh token is bound to the same key: refreshing needs a proof
           by it (a confidential client's refresh token is bound by its authentication)
        ─▶ a code asked for with `dpop_jkt` (§10) is redeemed only with a proof by that key
        ─▶ a client registered with `dpop_bound_access_tokens` gets nothing without a proof
    GET/POST /userinfo: a bound token only as `Authorization: DPoP` with a proof (with `ath`)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.settings import AuthSettings
from auth.tokens import InvalidAccessToken, TokenRecord
from gateway.dpop import (
    DpopError,
    DpopUnavailable,
    DpopVerifier,
    MemoryReplayCache,
    Presented,
    RedisReplayCache,
    ReplayCache,
)
from gateway.redis_link import RedisLink

if TYPE_CHECKING:
    from auth.context import AuthContext

REPLAY_PREFIX = "auth:dpop:"


class InvalidDpopProofError(OAuth2Error):  # type: ignore[misc]
    """A token request whose proof is missing or by the wrong key (RFC 9449 §5)."""

    error = "invalid_dpop_proof"


def make_verifier(settings: AuthSettings) -> DpopVerifier:
    """With AUTH_REDIS_URL every auth replica shares the replay cache, else this process's."""
    replay: ReplayCache = MemoryReplayCache()
    if settings.redis_url:
        replay = RedisReplayCache(RedisLink(settings.redis_url, "DPoP replay cache"), REPLAY_PREFIX)
    return DpopVerifier(settings.dpop_algorithms, replay=replay)


def discovery_metadata(settings: AuthSettings) -> dict[str, Any]:
    return {"dpop_signing_alg_values_supported": list(settings.dpop_algorithms)}


async def token_request_key(verifier: DpopVerifier, issuer: str, request: Request) -> str | None:
    """The thumbprint of the key a token request proves, or None without a DPoP header."""
    proofs = tuple(request.headers.getlist("dpop"))
    if not proofs:
        return None
    url = issuer.rstrip("/") + request.url.path
    return await verifier.verify(Presented(request.method, url, proofs))


def token_endpoint_refusal(error: DpopError | DpopUnavailable) -> Response:
    """RFC 9449 §5: a refused proof at the token endpoint is 400 invalid_dpop_proof."""
    if isinstance(error, DpopUnavailable):
        body = {"error": "temporarily_unavailable", "error_description": str(error)}
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": "no-store"}
    if error.nonce:
        headers["DPoP-Nonce"] = error.nonce
    body = {"error": error.error, "error_description": str(error)}
    return JSONResponse(body, status_code=400, headers=headers)


def require_binding(bound: str | None, proved: str | None, what: str) -> None:
    """Inside a grant: what is bound to a key is usable only with a proof by that key."""
    if bound is not None and bound != proved:
        how = "no DPoP proof" if proved is None else "a DPoP proof by another key"
        raise InvalidDpopProofError(f"{what} is bound to a DPoP key; the request has {how}.")


def require_proof(client: Any, proved: str | None) -> None:
    """RFC 9449 §5.2: a client registered with dpop_bound_access_tokens gets only bound ones."""
    metadata = getattr(client, "metadata", None)
    if proved is None and getattr(metadata, "dpop_bound_access_tokens", False):
        raise InvalidDpopProofError("This client must send a DPoP proof with every token request.")


def bound_key(claims: Mapping[str, Any]) -> str | None:
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
    return jkt if isinstance(jkt, str) else None


class ProtectedResource:
    """An endpoint of this server read with an access token (userinfo): Bearer for unbound
    tokens, DPoP with a valid proof for bound ones. Refusals are 401 with the challenge of
    the scheme the token needs."""

    def __init__(self, ctx: AuthContext) -> None:
        self.ctx = ctx
        self.verifier = ctx.dpop

    async def claims(self, request: Request) -> tuple[dict[str, Any], TokenRecord] | Response:
        """The token's claims and its record, or the refusal to send."""
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        scheme, token = scheme.lower(), token.strip()
        if scheme not in ("bearer", "dpop") or not token:
            # RFC 9449 §7.1: either scheme will do, and DPoP names the algorithms.
            return Response(
                status_code=401, headers={"WWW-Authenticate": f"Bearer, DPoP {self._algs}"}
            )
        try:
            claims, record = await self.ctx.verifier.verify(token)
        except InvalidAccessToken as error:
            return self._refuse(scheme, "invalid_token", str(error))
        jkt = bound_key(claims)
        if scheme == "bearer":
            if jkt is not None:
                return self._refuse("dpop", "invalid_token", "the token is DPoP-bound")
            return dict(claims), record
        if jkt is None:
            return self._refuse("dpop", "invalid_token", "the token is not DPoP-bound")
        url = self.ctx.settings.issuer.rstrip("/") + request.url.path
        presented = Presented(request.method, url, tuple(request.headers.getlist("dpop")))
        try:
            await self.verifier.verify(presented, access_token=token, bound_to=jkt)
        except DpopError as error:
            return self._refuse("dpop", error.error, str(error))
        except DpopUnavailable as error:
            return Response(status_code=503, content=str(error))
        return dict(claims), record

    @property
    def _algs(self) -> str:
        return f'algs="{" ".join(self.verifier.algorithms)}"'

    def _refuse(self, scheme: str, error: str, description: str) -> Response:
        # A header is Latin-1 at most, and the description may quote what the client sent.
        description = description.encode("ascii", "replace").decode()
        description = description.replace("\\", "").replace('"', "'")
        challenge = f'error="{error}", error_description="{description}"'
        if scheme == "bearer":
            challenge = f"Bearer {challenge}"
        else:
            challenge = f"DPoP {challenge}, {self._algs}"
        return Response(status_code=401, headers={"WWW-Authenticate": challenge})
