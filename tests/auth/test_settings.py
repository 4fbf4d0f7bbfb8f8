from __future__ import annotations

import pytest

from auth.settings import load_settings


def test_bad_env_var_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_ACCESS_TOKEN_TTL", "ten minutes")
    monkeypatch.setenv("CITIZEN_ENV", "staging")
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    message = str(stopped.value)
    assert "AUTH_ACCESS_TOKEN_TTL" in message and "CITIZEN_ENV" in message


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITIZEN_DATA_DIR", "/tmp/x")
    settings = load_settings()
    assert not settings.development
    assert settings.resolved_database_url() == "sqlite+aiosqlite:////tmp/x/auth.sqlite3"
