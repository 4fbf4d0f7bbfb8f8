"""Settings of the portal, read from `PORTAL_*` variables; a bad one stops the start naming it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    # The auth server (discovery at `<issuer>/.well-known/openid-configuration`).
    issuer: str
    # The gateway's public GraphQL endpoint: the only way the portal reads or writes data.
    gateway_url: str
    # Where browsers reach the portal; the redirect URI is `<public_url>/callback`.
    public_url: str
    client_id: str = "portal"
    # A file holding the client secret, so the secret is in no process's environment.
    client_secret_file: Path
    data_dir: Path = Path(".data/portal")
    # A signed-in session lasts this long without use; the language cookie a year.
    session_ttl: int = 8 * 3600
    # Seconds before the access token's expiry at which the portal refreshes it.
    refresh_margin: int = 60
    http_timeout: float = 15.0
    # Times (the access log's) are shown in this zone.
    timezone: str = "Europe/Helsinki"

    @field_validator("issuer", "gateway_url", "public_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("client_secret_file")
    @classmethod
    def _readable(cls, value: Path) -> Path:
        try:
            secret = value.read_text().strip()
        except OSError as error:
            raise ValueError(f"cannot read the client secret: {error.strerror}") from None
        if not secret:
            raise ValueError("the client secret file is empty")
        return value

    @property
    def client_secret(self) -> str:
        return self.client_secret_file.read_text().strip()

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/callback"

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


def describe_error(error: ValidationError) -> str:
    """Name each bad setting by its environment variable, which is what an operator sets."""
    lines = [f"invalid settings ({error.error_count()}):"]
    for item in error.errors():
        name = "PORTAL_" + "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"  {name}: {item['msg']}")
    return "\n".join(lines)


def load_settings() -> PortalSettings:
    try:
        return PortalSettings()  # type: ignore[call-arg]
    except ValidationError as error:
        raise SystemExit(describe_error(error)) from None
