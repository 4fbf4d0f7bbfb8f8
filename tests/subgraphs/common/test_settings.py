from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from subgraphs.common.settings import (
    GATEWAY_ISSUER,
    AgencySettings,
    ConfigurationError,
    load_settings,
)

_VARIABLES = (
    "CITIZEN_TODAY",
    "CITIZEN_DATA_DIR",
    "CITIZEN_GATEWAY_JWKS_URL",
    "CITIZEN_GATEWAY_ISSUER",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # away from any .env


def test_defaults() -> None:
    settings = load_settings()
    assert settings.data_dir == Path(".data")
    assert settings.current_date() == date.today()
    assert settings.gateway.jwks_url is None
    assert settings.gateway.issuer == GATEWAY_ISSUER == "urn:citizen-account:gateway"


def test_the_gateway_is_read_from_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITIZEN_GATEWAY_JWKS_URL", "http://gateway:4000/.well-known/jwks.json")
    monkeypatch.setenv("CITIZEN_GATEWAY_ISSUER", "urn:example:gateway")
    monkeypatch.setenv("CITIZEN_TODAY", "2026-11-01")
    settings = load_settings()
    assert settings.gateway.jwks_url == "http://gateway:4000/.well-known/jwks.json"
    assert settings.gateway.issuer == "urn:example:gateway"
    assert settings.current_date() == date(2026, 11, 1)
    assert AgencySettings(today=None).today is None


def test_a_bad_value_names_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITIZEN_TODAY", "someday")
    with pytest.raises(ConfigurationError, match="CITIZEN_TODAY"):
        load_settings()


def test_the_development_identity_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    # The gateway owns the development identity now; a leftover variable changes nothing.
    monkeypatch.setenv("CITIZEN_DEV_PERSONAL_ID", "19900101-0001")
    settings = load_settings()
    assert "dev_personal_id" not in settings.model_dump()
