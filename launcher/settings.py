"""Settings of the launcher: the profile, where data lives and which ports the services take."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class LauncherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITIZEN_", env_file=".env", extra="ignore")

    # development: the test sign-in, the development identity and query plans (`make run`).
    # production: none of them; citizens sign in through an eID, on one machine a stand-in.
    env: Literal["development", "production"] = "development"
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    base_port: int = 4000
    citizens: int = 1000
    health_timeout: float = 30.0


def format_settings_error(error: ValidationError, prefix: str) -> str:
    """Name each bad setting by its environment variable, which is what an operator sets."""
    lines = [f"invalid settings ({error.error_count()}):"]
    for item in error.errors():
        name = prefix + "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def load_settings() -> LauncherSettings:
    try:
        return LauncherSettings()
    except ValidationError as error:
        raise SystemExit(format_settings_error(error, "CITIZEN_")) from None
