"""AccessTokenVerifier.decode refuses every token that is not exactly ours and current:
signature, algorithm, typ, iss, aud, exp and nbf (RFC 9068 section 4)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from auth.keys import KeyStore
from auth.tokens import AccessTokenVerifier, InvalidAccessToken

ISSUER = "https://auth.example"
AUDIENCE = "citizen-account"


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "keys", max_token_ttl=600, rotation_seconds=86400)
    store.load()
    return store


@pytest.fixture
def verifier(keys: KeyStore) -> AccessTokenVerifier:
    return AccessTokenVerifier(keys, ISSUER, AUDIENCE, tokens=None)  # type: ignore[arg-type]


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "p1", "jti": "j1", "exp": now + 60}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_current_token_of_ours_is_accepted(keys: KeyStore, verifier: AccessTokenVerifier) -> None:
    token = keys.sign(_claims(nbf=int(time.time())), typ="at+jwt")
    assert verifier.decode(token)["sub"] == "p1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://other.example"}, "wrong issuer"),
        ({"aud": "someone-else"}, "wrong audience"),
        ({"exp": int(time.time()) - 1}, "expired"),
        ({"exp": None}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
    ],
)
def test_claims_that_do_not_fit_are_refused(
    keys: KeyStore, verifier: AccessTokenVerifier, changes: dict[str, Any], reason: str
) -> None:
    token = keys.sign(_claims(**changes), typ="at+jwt")
    with pytest.raises(InvalidAccessToken, match=reason):
        verifier.decode(token)


def test_an_id_token_is_not_an_access_token(keys: KeyStore, verifier: AccessTokenVerifier) -> None:
    with pytest.raises(InvalidAccessToken, match="not an access token"):
        verifier.decode(keys.sign(_claims(), typ="JWT"))


def test_a_symmetric_algorithm_is_refused(verifier: AccessTokenVerifier) -> None:
    forged = jwt.encode({"alg": "HS256", "typ": "at+jwt"}, _claims(), OctKey.generate_key(256))
    with pytest.raises(InvalidAccessToken, match="bad signature or format"):
        verifier.decode(forged)


def test_a_token_signed_by_another_key_is_refused(
    tmp_path: Path, verifier: AccessTokenVerifier
) -> None:
    stranger = KeyStore(tmp_path / "other", max_token_ttl=600, rotation_seconds=86400)
    stranger.load()
    with pytest.raises(InvalidAccessToken, match="bad signature or format"):
        verifier.decode(stranger.sign(_claims(), typ="at+jwt"))
