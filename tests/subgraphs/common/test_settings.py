from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from subgraphs.common.settings import AgencySettings, ConfigurationError, load_settings


def test_defaults_are_production_and_today(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CITIZEN_ENV", "CITIZEN_DEV_PERSONAL_ID", "CITIZEN_TODAY", "CITIZEN_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # away from any .env
    settings = load_settings()
    assert settings.env == "production"
    assert settings.data_dir == Path(".data")
    assert settings.current_date() == date.today()


def test_a_bad_value_names_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITIZEN_ENV", "staging")
    with pytest.raises(ConfigurationError, match="CITIZEN_ENV"):
        load_settings()


def test_the_dev_identity_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CITIZEN_ENV", raising=False)
    monkeypatch.setenv("CITIZEN_DEV_PERSONAL_ID", "19900101-0001")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "CITIZEN_DEV_PERSONAL_ID" in str(raised.value)
    assert "CITIZEN_ENV=development" in str(raised.value)


def test_the_dev_identity_is_accepted_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITIZEN_ENV", "development")
    monkeypatch.setenv("CITIZEN_DEV_PERSONAL_ID", "19900101-0001")
    monkeypatch.setenv("CITIZEN_TODAY", "2026-11-01")
    settings = load_settings()
    assert settings.dev_personal_id == "19900101-0001"
    assert settings.current_date() == date(2026, 11, 1)
    assert AgencySettings(today=None).today is None
