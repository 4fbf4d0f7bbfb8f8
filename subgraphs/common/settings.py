"""Settings every agency reads from `CITIZEN_*` environment variables; bad ones are named."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CITIZEN_"


class ConfigurationError(Exception):
    """A setting stops the start; the message names the environment variable to fix."""


class AgencySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    data_dir: Path = Path(".data")
    # Anything but "development" refuses the development identity, so a forgotten variable
    # on a real deployment fails closed.
    env: Literal["development", "production"] = "production"
    dev_personal_id: str | None = None
    # Pins the agencies' clock (demos, tests); life-event rules and validity checks read it.
    today: date | None = None

    def current_date(self) -> date:
        return self.today if self.today is not None else date.today()


def format_settings_error(error: ValidationError) -> str:
    lines = [f"invalid settings ({error.error_count()}):"]
    for item in error.errors():
        name = ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def load_settings() -> AgencySettings:
    """Read and check the settings; raise `ConfigurationError` naming the offending variable."""
    try:
        settings = AgencySettings()
    except ValidationError as error:
        raise ConfigurationError(format_settings_error(error)) from None
    check_settings(settings)
    return settings


def check_settings(settings: AgencySettings) -> None:
    if settings.dev_personal_id is not None and settings.env != "development":
        raise ConfigurationError(
            f"{ENV_PREFIX}DEV_PERSONAL_ID is set but {ENV_PREFIX}ENV is {settings.env!r}: "
            f"the development identity is refused unless {ENV_PREFIX}ENV=development"
        )
