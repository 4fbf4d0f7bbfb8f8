from __future__ import annotations

from pathlib import Path

from auth.keys import KeyStore


def test_rotation_keeps_old_keys_until_their_tokens_expire(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", max_token_ttl=600, rotation_seconds=86400)
    store.load(now=1_000_000)
    first = store.active.kid
    token = store.sign({"sub": "x"}, typ="at+jwt")

    # A restart within the rotation period reuses the key from disk.
    again = KeyStore(tmp_path / "keys", 600, 86400)
    again.load(now=1_000_100)
    assert again.active.kid == first

    # After the period a new key signs; the old one stays published for max_token_ttl.
    later = KeyStore(tmp_path / "keys", 600, 86400)
    later.load(now=1_000_000 + 86400)
    assert later.active.kid != first
    published = [k["kid"] for k in later.jwks(now=1_000_000 + 86400 + 599)["keys"]]
    assert published == [first, later.active.kid]
    assert [k["kid"] for k in later.jwks(now=1_000_000 + 86400 + 601)["keys"]] == [later.active.kid]
    assert later.verify(token, published_only=False).claims == {"sub": "x"}
    assert all("d" not in k for k in later.jwks(now=0)["keys"])
    assert oct(Path(tmp_path / "keys").stat().st_mode)[-3:] == "700"
