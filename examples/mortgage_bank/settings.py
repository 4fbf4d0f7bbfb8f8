"""The bank's settings, read from `BANK_*` variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class BankSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANK_", extra="ignore")

    # The citizen account's authorization server; every endpoint comes from its discovery.
    issuer: str = "http://127.0.0.1:4001"
    gateway_url: str = "http://127.0.0.1:4000/graphql"
    # Where citizens reach this bank; empty: http://<host>:<port> as started.
    public_url: str = ""
    # The registration (client id and secret) is kept here.
    data_dir: Path = Path(".data/mortgage-bank")
    # RFC 7591 initial access token, handed over by the citizen account's operator as a file.
    initial_access_token_file: Path | None = None
    # Refresh the access token when it has less than this many seconds left.
    refresh_margin: float = 60.0
