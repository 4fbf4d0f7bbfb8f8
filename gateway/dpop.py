"""DPoP (RFC 9449): checking a proof of possession against the request it came with.

    DPoP: <proof JWT>  ─▶ one proof, typ dpop+jwt, an allowed asymmetric alg, a public `jwk`
                          in its header that verifies its signature
                       ─▶ htm = the method, htu = the URL (no query, no fragment; §4.3),
                          iat within the window, ath = sha256(access token) when one is
                          presented, the server's nonce when nonces are on
                       ─▶ the key's RFC 7638 thumbprint = the token's `cnf.jkt`
                       ─▶ jti not seen before: SET NX in Redis (shared by every replica), or
                          this process's memory when no Redis is configured

Generic: the gateway checks proofs presented with bound access tokens (`SenderConstraint`,
the stage authentication.py runs), and the authorization server reuses `DpopVerifier` at its
token and userinfo endpoints. A proof that fails any check is `DpopError`; Redis out of reach
is `DpopUnavailable`: never a pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from gateway.redis_link import REDIS_ERRORS, RedisLink

PROOF_TYPE = "dpop+jwt"
# FAPI 2.0 §5.4.1: PS256, ES256 and EdDSA (Ed25519); none of them shares a secret.
DEFAULT_ALGORITHMS = ("ES256", "PS256", "EdDSA")
INVALID_PROOF = "invalid_dpop_proof"
USE_NONCE = "use_dpop_nonce"
# The members RFC 7517/7518 give private keys: a header carrying one leaks the client's key.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KEY_TYPES = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}
_MAX_PROOF_LENGTH = 8192
_MAX_HEADER_LENGTH = 4096
_MAX_JTI_LENGTH = 256
_MIN_RSA_BITS = 2048


class DpopError(Exception):
    """A proof refused; `error` is the RFC 9449 code, `nonce` the one to retry with."""

    def __init__(self, message: str, error: str = INVALID_PROOF, nonce: str | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.nonce = nonce


class DpopUnavailable(Exception):
    """Proofs cannot be checked right now (the replay cache is out of reach): fail closed."""


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what `cnf.jkt` holds."""
    return str(_import_key(jwk).thumbprint())


def access_token_hash(token: str) -> str:
    """`ath`: base64url(sha256(the access token)) (RFC 9449 §4.2)."""
    return _b64(hashlib.sha256(token.encode("ascii", "replace")).digest())


def normalized_url(url: str) -> str:
    """The URL as `htu` is compared (RFC 9449 §4.3, RFC 3986 §6): scheme and host lower
    case, no default port, no query and no fragment."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", "", ""))


def _normalized_or_none(url: str) -> str | None:
    try:
        return normalized_url(url)
    except ValueError:  # not a URL at all (an unclosed IPv6 bracket, say)
        return None


class ReplayCache(Protocol):
    async def first_use(self, key: str, ttl: float) -> bool:
        """True the first time `key` is seen within `ttl` seconds, False after."""
        ...

    async def close(self) -> None: ...


class MemoryReplayCache:
    """One process's memory: for a single replica (each replica would keep its own)."""

    def __init__(self) -> None:
        # Insertion order is expiry order: every key lives the same ttl.
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_use(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) <= now:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + ttl
        return True

    async def close(self) -> None:
        pass


class RedisReplayCache:
    """`SET key 1 NX EX ttl` in the Redis every replica shares: a proof used at one replica
    is refused at every other. Redis out of reach refuses proofs (503), never admits them."""

    def __init__(self, link: RedisLink, prefix: str) -> None:
        self.link = link
        self.prefix = prefix

    async def first_use(self, key: str, ttl: float) -> bool:
        if not self.link.available:
            raise DpopUnavailable("the DPoP replay cache (Redis) is out of reach")
        try:
            stored = await self.link.client.set(
                self.prefix + "jti:" + key, b"1", nx=True, px=max(1, int(ttl * 1000))
            )
        except REDIS_ERRORS as error:
            self.link.failed(error)
            raise DpopUnavailable("the DPoP replay cache (Redis) is out of reach") from None
        return bool(stored)

    async def close(self) -> None:
        await self.link.close()


class Nonces:
    """Server-issued nonces (RFC 9449 §8): an HMAC of the current time slot, so any replica
    holding the key recognises any other's nonce and nothing is stored per client. The key
    lives in Redis when the replay cache does (made once by whichever replica is first), else
    in this process. A nonce is accepted during its slot and the next."""

    def __init__(self, lifetime: float, link: RedisLink | None, prefix: str) -> None:
        self.lifetime = lifetime
        self.link = link
        self.name = prefix + "nonce-key"
        self._key: bytes | None = None if link is not None else secrets.token_bytes(32)

    async def _secret(self) -> bytes:
        if self._key is not None:
            return self._key
        assert self.link is not None
        try:
            await self.link.client.set(self.name, secrets.token_bytes(32), nx=True)
            value = await self.link.client.get(self.name)
        except REDIS_ERRORS as error:
            self.link.failed(error)
            raise DpopUnavailable("the DPoP nonce key (Redis) is out of reach") from None
        if not isinstance(value, bytes):
            raise DpopUnavailable("the DPoP nonce key vanished from Redis")
        self._key = value
        return value

    def _for_slot(self, key: bytes, slot: int) -> str:
        return _b64(hmac.new(key, slot.to_bytes(8, "big"), hashlib.sha256).digest()[:18])

    async def current(self, now: float) -> str:
        return self._for_slot(await self._secret(), int(now // self.lifetime))

    async def accepts(self, nonce: object, now: float) -> bool:
        if not isinstance(nonce, str):
            return False
        key = await self._secret()
        slot = int(now // self.lifetime)
        return any(hmac.compare_digest(nonce, self._for_slot(key, s)) for s in (slot, slot - 1))


@dataclass(frozen=True, slots=True)
class Presented:
    """What a request brings for DPoP: its method, its URL as the client addressed it, and
    the values of its DPoP headers."""

    method: str
    url: str
    proofs: tuple[str, ...]


class DpopVerifier:
    """Checks one proof; returns the thumbprint of the key that signed it."""

    def __init__(
        self,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        *,
        iat_window: float = 60.0,
        iat_leeway: float = 5.0,
        replay: ReplayCache | None = None,
        nonces: Nonces | None = None,
    ) -> None:
        self.algorithms = tuple(algorithms)
        self.iat_window = iat_window
        self.iat_leeway = iat_leeway
        self.replay: ReplayCache = replay if replay is not None else MemoryReplayCache()
        self.nonces = nonces
        self._registry = JWSRegistry(algorithms=self.algorithms)
        # joserfc's default (512 bytes) is too small for a header carrying an RSA key.
        self._registry.max_header_length = _MAX_HEADER_LENGTH

    async def verify(
        self,
        presented: Presented,
        *,
        access_token: str | None = None,
        bound_to: str | None = None,
        now: float | None = None,
    ) -> str:
        now = time.time() if now is None else now
        if len(presented.proofs) != 1:
            many = "a request must carry exactly one DPoP proof"
            raise DpopError(many if presented.proofs else "the request has no DPoP proof")
        proof = presented.proofs[0].strip()
        claims, key = self._signed(proof)
        if claims.get("htm") != presented.method.upper():
            raise DpopError(f"the DPoP proof is for another method ({claims.get('htm')!r})")
        htu = claims.get("htu")
        if not isinstance(htu, str) or _normalized_or_none(htu) != normalized_url(presented.url):
            raise DpopError(f"the DPoP proof is for another URL ({htu!r})")
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or isinstance(iat, bool):
            raise DpopError("the DPoP proof has no iat")
        if iat > now + self.iat_leeway:
            raise DpopError("the DPoP proof was issued in the future (iat)")
        if iat < now - self.iat_window:
            raise DpopError(f"the DPoP proof has expired (iat over {self.iat_window:g}s ago)")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI_LENGTH:
            raise DpopError("the DPoP proof has no usable jti")
        if self.nonces is not None and not await self.nonces.accepts(claims.get("nonce"), now):
            raise DpopError(
                "the DPoP proof must carry the server's nonce (DPoP-Nonce)",
                USE_NONCE,
                await self.nonces.current(now),
            )
        if access_token is not None and claims.get("ath") != access_token_hash(access_token):
            raise DpopError("the DPoP proof's ath does not match the access token")
        jkt = str(key.thumbprint())
        if bound_to is not None and not hmac.compare_digest(jkt, bound_to):
            raise DpopError("the DPoP proof is signed by another key than the token is bound to")
        # Keyed by the key too: one client cannot use up another's jti values.
        replay_key = _b64(hashlib.sha256(f"{jkt}\n{jti}".encode()).digest())
        if not await self.replay.first_use(replay_key, self.iat_window + self.iat_leeway):
            raise DpopError("the DPoP proof was used before (jti replayed)")
        return jkt

    def _signed(self, proof: str) -> tuple[dict[str, Any], Any]:
        if len(proof) > _MAX_PROOF_LENGTH or proof.count(".") != 2:
            raise DpopError("the DPoP proof is not a signed JWT")
        header = _json_part(proof.split(".")[0], "header")
        if header.get("typ") != PROOF_TYPE:
            raise DpopError(f"the DPoP proof's typ is not {PROOF_TYPE}")
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise DpopError(f"the DPoP proof's algorithm {alg!r} is not accepted")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict):
            raise DpopError("the DPoP proof has no jwk in its header")
        if _PRIVATE_MEMBERS & jwk.keys():
            raise DpopError("the DPoP proof's jwk holds a private key")
        try:
            key = _import_key(jwk)
        except ValueError as error:
            raise DpopError(f"the DPoP proof's jwk is not a usable public key: {error}") from None
        try:
            verified = jws.deserialize_compact(
                proof, key, algorithms=[str(alg)], registry=self._registry
            )
        except (JoseError, ValueError, TypeError) as error:
            raise DpopError(f"the DPoP proof's signature does not verify ({error})") from None
        try:
            claims = orjson.loads(verified.payload)
        except orjson.JSONDecodeError:
            raise DpopError("the DPoP proof's payload is not JSON") from None
        if not isinstance(claims, dict):
            raise DpopError("the DPoP proof's payload is not a JSON object")
        return claims, key


class SenderConstraint:
    """The authentication stage for DPoP-bound access tokens (`cnf.jkt`): a bound token must
    come as `Authorization: DPoP <token>` with a valid proof by its key; an unbound token
    keeps working as Bearer."""

    def __init__(self, verifier: DpopVerifier) -> None:
        self.verifier = verifier

    async def check(
        self,
        claims: Mapping[str, Any],
        scheme: str,
        token: str,
        presented: Presented | None,
    ) -> None:
        cnf = claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
        if scheme == "bearer":
            if jkt is not None:
                raise DpopError(
                    "the token is DPoP-bound: send it as 'Authorization: DPoP <token>' with "
                    "a DPoP proof",
                    "invalid_token",
                )
            return
        if not isinstance(jkt, str) or not jkt:
            raise DpopError("the token is not DPoP-bound (no cnf.jkt)", "invalid_token")
        if presented is None:
            raise DpopError("the request has no DPoP proof")
        await self.verifier.verify(presented, access_token=token, bound_to=jkt)

    async def close(self) -> None:
        await self.verifier.replay.close()


def _import_key(jwk: Mapping[str, Any]) -> Any:
    kind = _KEY_TYPES.get(str(jwk.get("kty")))
    if kind is None:
        raise ValueError(f"key type {jwk.get('kty')!r} is not EC, RSA or OKP")
    public = {name: value for name, value in jwk.items() if name not in _PRIVATE_MEMBERS}
    try:
        key = JWKRegistry.import_key(public, str(jwk["kty"]))
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ValueError(str(error) or type(error).__name__) from None
    if isinstance(key, RSAKey) and key.raw_value.key_size < _MIN_RSA_BITS:
        raise ValueError(f"an RSA key needs at least {_MIN_RSA_BITS} bits")
    return key


def _json_part(part: str, name: str) -> dict[str, Any]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        raise DpopError(f"the DPoP proof's {name} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise DpopError(f"the DPoP proof's {name} is not a JSON object")
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


__all__ = [
    "DEFAULT_ALGORITHMS",
    "INVALID_PROOF",
    "USE_NONCE",
    "DpopError",
    "DpopUnavailable",
    "DpopVerifier",
    "MemoryReplayCache",
    "Nonces",
    "Presented",
    "RedisReplayCache",
    "SenderConstraint",
    "access_token_hash",
    "normalized_url",
    "thumbprint",
]
