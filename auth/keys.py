"""Signing keys: generated into the data directory, rotated, and published as a JWKS.

    keys/<kid>.json   {"jwk": <private JWK>, "created_at": t, "retired_at": t | null}

The active key is the newest one not retired. Rotation retires it and makes a new one; a
retired key stays in the published JWKS until every token it signed has expired
(`retired_at + max_token_ttl`), and stays on disk so old consent receipts still verify.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: RSAKey
    created_at: int
    retired_at: int | None


class KeyStore:
    """Keys in `directory`; `max_token_ttl` is the longest lifetime of anything they sign
    that a verifier checks against the JWKS (access and ID tokens)."""

    def __init__(self, directory: Path, max_token_ttl: int, rotation_seconds: float) -> None:
        self.directory = directory
        self.max_token_ttl = max_token_ttl
        self.rotation_seconds = rotation_seconds
        self._keys: list[SigningKey] = []

    def load(self, now: float | None = None) -> None:
        """Read every key; create the first one, or rotate when the active one is too old."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        keys = []
        for path in sorted(self.directory.glob("*.json")):
            data = json.loads(path.read_text())
            key = RSAKey.import_key(data["jwk"])
            keys.append(
                SigningKey(str(data["jwk"]["kid"]), key, data["created_at"], data["retired_at"])
            )
        keys.sort(key=lambda k: (k.created_at, k.kid))
        self._keys = keys
        now = time.time() if now is None else now
        active = self._active_or_none()
        if active is None or now - active.created_at >= self.rotation_seconds:
            self.rotate(now)

    def rotate(self, now: float | None = None) -> SigningKey:
        now_s = int(time.time() if now is None else now)
        for index, key in enumerate(self._keys):
            if key.retired_at is None:
                retired = SigningKey(key.kid, key.key, key.created_at, now_s)
                self._keys[index] = retired
                self._write(retired)
        generated = RSAKey.generate_key(2048, auto_kid=True)
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

    def _active_or_none(self) -> SigningKey | None:
        live = [k for k in self._keys if k.retired_at is None]
        return live[-1] if live else None

    @property
    def active(self) -> SigningKey:
        key = self._active_or_none()
        assert key is not None, "KeyStore.load() was not called"
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
            public.update({"use": "sig", "alg": ALGORITHM, "kid": k.kid})
            keys.append(public)
        return {"keys": keys}

    def verification_keys(self, published_only: bool = True) -> KeySet:
        keys = self.published() if published_only else self._keys
        return KeySet([k.key for k in keys])

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        active = self.active
        header = {"alg": ALGORITHM, "typ": typ, "kid": active.kid}
        return jwt.encode(header, claims, active.key, algorithms=[ALGORITHM])

    def verify(self, token: str, published_only: bool = True) -> jwt.Token:
        """Check the signature only; callers check claims (exp, iss, aud, typ)."""
        return jwt.decode(token, self.verification_keys(published_only), algorithms=[ALGORITHM])
