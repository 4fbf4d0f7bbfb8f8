"""Settings every agency reads from `CITIZEN_*` environment variables; bad ones are named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CITIZEN_"
GATEWAY_ENV_PREFIX = f"{ENV_PREFIX}GATEWAY_"
GATEWAY_ISSUER = "urn:citizen-account:gateway"


class ConfigurationError(Exception):
    """A setting stops the start; the message names the environment variable to fix."""


class GatewayTrust(BaseSettings):
    """The gateway a subgraph believes: where its signing keys are and the issuer it signs as.

    Read by every agency and by the consent subgraph inside the auth server.
    """

    model_config = SettingsConfigDict(
        env_prefix=GATEWAY_ENV_PREFIX, env_file=".env", extra="ignore"
    )

    # No default: a subgraph that cannot check identity tokens refuses to start (identity.py).
    jwks_url: str | None = None
    issuer: str = GATEWAY_ISSUER


class AgencySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    data_dir: Path = Path(".data")
    # Pins the agencies' clock (demos, tests); life-event rules, validity checks and whether
    # a ward is still a minor read it.
    today: date | None = None
    gateway: GatewayTrust = Field(default_factory=GatewayTrust)

    def current_date(self) -> date:
        return self.today if self.today is not None else date.today()


def format_settings_error(error: ValidationError, prefix: str = ENV_PREFIX) -> str:
    lines = [f"invalid settings ({error.error_count()}):"]
    for item in error.errors():
        name = prefix + "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def load_gateway_trust() -> GatewayTrust:
    try:
        return GatewayTrust()
    except ValidationError as error:
        raise ConfigurationError(format_settings_error(error, GATEWAY_ENV_PREFIX)) from None


def load_settings() -> AgencySettings:
    """Read and check the settings; raise `ConfigurationError` naming the offending variable."""
    gateway = load_gateway_trust()
    try:
        return AgencySettings(gateway=gateway)
    except ValidationError as error:
        raise ConfigurationError(format_settings_error(error)) from None
