"""Settings of the authorization server, read from `AUTH_*` (and two `CITIZEN_*`) variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from joserfc.jws import JWSRegistry
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.dpop import DEFAULT_ALGORITHMS


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    # Shared with the launcher: where data lives and whether test-only features are on.
    data_dir: Path = Field(
        default=Path(".data"), validation_alias=AliasChoices("CITIZEN_DATA_DIR", "AUTH_DATA_DIR")
    )
    env: Literal["development", "production"] = Field(
        default="production", validation_alias=AliasChoices("CITIZEN_ENV", "AUTH_ENV")
    )

    issuer: str = "http://127.0.0.1:4001"
    # The resource server every access token is meant for (RFC 9068 `aud`).
    audience: str = "citizen-account"
    # SQLAlchemy async URL; empty means `sqlite+aiosqlite:///<data_dir>/auth.sqlite3`.
    database_url: str = ""
    # PostgreSQL only: the schema (search_path) holding the tables.
    database_schema: str = ""
    # Empty: revocations fan out through the database table only (single-machine mode).
    redis_url: str = ""
    redis_channel: str = "auth:revocations"

    # Where guardianship facts come from: a GraphQL URL of the population register subgraph,
    # or empty for the SQLite file `population_file` (default `<data_dir>/population.sqlite3`).
    population_url: str = ""
    population_file: Path | None = None
    # Citizens offered on the test sign-in page when the register cannot list them.
    test_citizens: list[str] = []

    # The upstream OpenID Connect provider citizens sign in with (a national eID), whose
    # relying party this server is (auth/eid.py); production has no other way to sign in.
    # Register `<issuer>/signin/eid/callback` there as the redirect URI.
    eid_issuer: str = ""
    eid_client_id: str = ""
    eid_client_secret: str = ""
    # The ID token claim holding the personal identity code, as the eID names it.
    eid_personal_id_claim: str = "sub"
    eid_scope: str = "openid"
    eid_algorithms: list[str] = ["RS256", "PS256", "ES256"]

    # DPoP proof algorithms accepted at the token and userinfo endpoints (RFC 9449).
    dpop_algorithms: list[str] = list(DEFAULT_ALGORITHMS)
    # Keys the pairwise subjects platforms see (pairwise.py); empty: generated at the first
    # start into `<data_dir>/pairwise-secret`.
    pairwise_secret: str = ""

    clients_file: Path | None = None
    # Initial access token for RFC 7591 registration; in development one is generated.
    admin_token: str = ""

    access_token_ttl: int = 600
    refresh_token_ttl: int = 30 * 24 * 3600
    id_token_ttl: int = 600
    # FAPI 2.0 §5.3.2.1: an authorization code lives at most 60 seconds.
    code_ttl: int = Field(default=60, ge=1, le=60)
    session_ttl: int = 3600
    key_rotation_days: float = 30.0
    max_consent_days: int = 365

    # What every access token is signed with (ID tokens follow each client's
    # `id_token_signed_response_alg`); the gateway's GATEWAY_TOKEN_ALGORITHMS must accept it.
    access_token_signing_alg: Literal["RS256", "PS256", "ES256"] = "PS256"
    # RFC 9126: how long a pushed authorization request's `request_uri` may be used.
    par_ttl: int = Field(default=120, ge=1, le=600)
    # RFC 9126 §5: every third-party platform must push its authorization requests.
    require_pushed_authorization_requests: bool = False
    # "fapi2": the FAPI 2.0 profile (auth/profile.py) for every third-party platform.
    platform_profile: Literal["", "fapi2"] = ""

    @field_validator("eid_algorithms", "dpop_algorithms")
    @classmethod
    def _asymmetric_only(cls, values: list[str]) -> list[str]:
        # With HS* anyone holding the client secret could sign an ID token; `none` signs nothing.
        refused = [v for v in values if v.lower() == "none" or v.upper().startswith("HS")]
        if refused or not values:
            raise ValueError(f"only asymmetric algorithms are accepted, not {refused}")
        return values

    @field_validator("dpop_algorithms")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        if unknown := sorted(set(values) - set(JWSRegistry.algorithms)):
            raise ValueError(f"unknown algorithms {unknown}")
        return values

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def eid_redirect_uri(self) -> str:
        return self.issuer.rstrip("/") + "/signin/eid/callback"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'auth.sqlite3'}"

    def resolved_population_file(self) -> Path:
        return self.population_file or self.data_dir / "population.sqlite3"


def format_settings_error(error: ValidationError) -> str:
    """Name each bad setting by the environment variable an operator would set."""
    lines = [f"invalid auth settings ({error.error_count()}):"]
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        if field in ("data_dir", "CITIZEN_DATA_DIR"):
            name = "CITIZEN_DATA_DIR"
        elif field in ("env", "CITIZEN_ENV"):
            name = "CITIZEN_ENV"
        else:
            name = "AUTH_" + field.upper()
        lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def load_settings() -> AuthSettings:
    try:
        return AuthSettings()
    except ValidationError as error:
        raise SystemExit(format_settings_error(error)) from None
