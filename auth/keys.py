"""Signing keys: generated into the data directory, rotated, and published as a JWKS.

    keys/<kid>.json   {"jwk": <private JWK with its "alg">, "created_at": t, "retired_at": t | null}

One key family per algorithm the store signs with (RS256, PS256, ES256): each key is made for
one algorithm (its JWK names it, and joserfc refuses it for any other), so a verifier can
never be tricked into checking an RS256 key's signature as PS256. A key written before
families existed has no "alg" and is RS256. The active key of a family is its newest one not
retired. Rotation retires it and makes a new one; a retired key stays in the published JWKS
until every token it signed has expired (`retired_at + max_token_ttl`), and stays on disk so
old consent receipts still verify.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

# What consent receipts, development tokens and clients that ask for nothing else are
# signed with.
ALGORITHM = "RS256"
ALGORITHMS = ("RS256", "PS256", "ES256")
Algorithm = Literal["RS256", "PS256", "ES256"]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: RSAKey | ECKey
    created_at: int
    retired_at: int | None

    @property
    def alg(self) -> str:
        return str(self.key.alg)


def _import(jwk: dict[str, Any]) -> RSAKey | ECKey:
    alg = jwk.get("alg", ALGORITHM)
    if alg == "ES256":
        return ECKey.import_key(jwk, {"alg": alg})
    return RSAKey.import_key(jwk, {"alg": alg})


def _generate(alg: str) -> RSAKey | ECKey:
    if alg == "ES256":
        return ECKey.generate_key("P-256", {"alg": alg}, auto_kid=True)
    return RSAKey.generate_key(2048, {"alg": alg}, auto_kid=True)


class KeyStore:
    """Keys in `directory`, one family per algorithm in `algorithms`; `max_token_ttl` is the
    longest lifetime of anything they sign that a verifier checks against the JWKS (access
    and ID tokens)."""

    def __init__(
        self,
        directory: Path,
        max_token_ttl: int,
        rotation_seconds: float,
        algorithms: tuple[str, ...] = (ALGORITHM,),
    ) -> None:
        assert set(algorithms) <= set(ALGORITHMS), f"unsupported algorithms {algorithms}"
        self.directory = directory
        self.max_token_ttl = max_token_ttl
        self.rotation_seconds = rotation_seconds
        self.algorithms = algorithms
        self._keys: list[SigningKey] = []

    def load(self, now: float | None = None) -> None:
        """Read every key; create the first one, or rotate when the active one is too old."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        keys = []
        for path in sorted(self.directory.glob("*.json")):
            data = json.loads(path.read_text())
            key = _import(data["jwk"])
            keys.append(
                SigningKey(str(data["jwk"]["kid"]), key, data["created_at"], data["retired_at"])
            )
        keys.sort(key=lambda k: (k.created_at, k.kid))
        self._keys = keys
        now = time.time() if now is None else now
        for alg in self.algorithms:
            active = self._active_or_none(alg)
            if active is None or now - active.created_at >= self.rotation_seconds:
                self.rotate(now, alg)

    def rotate(self, now: float | None = None, alg: str = ALGORITHM) -> SigningKey:
        now_s = int(time.time() if now is None else now)
        for index, key in enumerate(self._keys):
            if key.retired_at is None and key.alg == alg:
                retired = SigningKey(key.kid, key.key, key.created_at, now_s)
                self._keys[index] = retired
                self._write(retired)
        generated = _generate(alg)
        new = SigningKey(str(generated.kid), generated, now_s, None)
        self._keys.append(new)
        self._write(new)
        return new

    def _write(self, key: SigningKey) -> None:
        data = {
            "jwk": key.key.as_dict(private=True),
            "created_at": key.created_at,
            "retired_at": key.retired_at,
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "w") as file:
            json.dump(data, file)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.directory / f"{key.kid}.json")

    def _active_or_none(self, alg: str) -> SigningKey | None:
        live = [k for k in self._keys if k.retired_at is None and k.alg == alg]
        return live[-1] if live else None

    @property
    def active(self) -> SigningKey:
        return self.active_for(ALGORITHM)

    def active_for(self, alg: str) -> SigningKey:
        key = self._active_or_none(alg)
        assert key is not None, f"no {alg} key: KeyStore.load() was not called or {alg} is off"
        return key

    def published(self, now: float | None = None) -> list[SigningKey]:
        now = time.time() if now is None else now
        return [
            k for k in self._keys if k.retired_at is None or k.retired_at + self.max_token_ttl > now
        ]

    def jwks(self, now: float | None = None) -> dict[str, Any]:
        keys = []
        for k in self.published(now):
            public = k.key.as_dict(private=False)
            public.update({"use": "sig", "alg": k.alg, "kid": k.kid})
            keys.append(public)
        return {"keys": keys}

    def verification_keys(self, published_only: bool = True) -> KeySet:
        keys = self.published() if published_only else self._keys
        return KeySet([k.key for k in keys])

    def sign(self, claims: dict[str, Any], typ: str = "JWT", alg: str = ALGORITHM) -> str:
        active = self.active_for(alg)
        header = {"alg": alg, "typ": typ, "kid": active.kid}
        return jwt.encode(header, claims, active.key, algorithms=[alg])

    def verify(self, token: str, published_only: bool = True) -> jwt.Token:
        """Check the signature only; callers check claims (exp, iss, aud, typ). Each key
        verifies only its own algorithm."""
        return jwt.decode(
            token, self.verification_keys(published_only), algorithms=list(self.algorithms)
        )
