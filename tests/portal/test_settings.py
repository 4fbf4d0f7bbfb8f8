"""Missing or bad settings stop the start naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.settings import load_settings


def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PORTAL_ISSUER",
        "PORTAL_GATEWAY_URL",
        "PORTAL_PUBLIC_URL",
        "PORTAL_CLIENT_SECRET_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    message = str(stopped.value)
    for name in (
        "PORTAL_ISSUER",
        "PORTAL_GATEWAY_URL",
        "PORTAL_PUBLIC_URL",
        "PORTAL_CLIENT_SECRET_FILE",
    ):
        assert name in message


def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "secret"
    empty.write_text("\n")
    monkeypatch.setenv("PORTAL_ISSUER", "auth.example")
    monkeypatch.setenv("PORTAL_GATEWAY_URL", "http://127.0.0.1:4000/graphql")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://portal.example/")
    monkeypatch.setenv("PORTAL_CLIENT_SECRET_FILE", str(empty))
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    message = str(stopped.value)
    assert "PORTAL_ISSUER: Value error, must be an absolute http(s) URL" in message
    assert "PORTAL_CLIENT_SECRET_FILE: Value error, the client secret file is empty" in message
    assert "PORTAL_PUBLIC_URL" not in message and "PORTAL_GATEWAY_URL" not in message


def test_good_settings_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("PORTAL_ISSUER", "https://auth.example")
    monkeypatch.setenv("PORTAL_GATEWAY_URL", "https://api.example/graphql")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://portal.example/")
    monkeypatch.setenv("PORTAL_CLIENT_SECRET_FILE", str(secret))
    settings = load_settings()
    assert settings.redirect_uri == "https://portal.example/callback"
    assert settings.client_secret == "s3cret" and settings.secure
