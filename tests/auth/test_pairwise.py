"""Pairwise subjects (auth/pairwise.py), registration's one-sector rule, discovery, and the
migration that lets this server find the platforms' sealed access tokens by hash."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.clients import Client, ClientMetadata
from auth.migrations import migrate
from auth.pairwise import Subjects, load_or_create_secret
from tests.auth.conftest import RunningAuth

PERSON = "010180-111A"


def _client(redirect_uris: list[str], first_party: bool = False) -> Client:
    metadata = ClientMetadata(
        client_name="A platform",
        redirect_uris=redirect_uris,
        purpose="Testing",
        data_categories=["identity"],
    )
    return Client("c", None, metadata, first_party=first_party)


def test_each_sector_sees_its_own_stable_subject() -> None:
    subjects = Subjects(b"secret")
    bank = _client(["https://bank.example/callback"])
    bank_app = _client(["https://bank.example/app/callback"])
    housing = _client(["https://housing.example/callback"])
    seen = subjects.subject(bank, PERSON)
    assert seen == subjects.subject(bank, PERSON) == subjects.subject(bank_app, PERSON)
    assert seen != subjects.subject(housing, PERSON)
    assert seen != subjects.subject(bank, "040470-444D")
    assert PERSON not in seen and len(seen) == 43
    # Another secret, other subjects: they cannot be computed without it.
    assert Subjects(b"another").subject(bank, PERSON) != seen


def test_first_party_apps_see_the_personal_id() -> None:
    portal = _client(["https://portal.example/callback"], first_party=True)
    assert Subjects(b"secret").subject(portal, PERSON) == PERSON


def test_the_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = load_or_create_secret("", tmp_path)
    assert load_or_create_secret("", tmp_path) == first and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "pairwise-secret").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_secret("configured", tmp_path) == b"configured"


def test_registration_needs_one_host_and_discovery_says_pairwise(
    auth_server: RunningAuth,
) -> None:
    metadata = {
        "client_name": "Two hosts",
        "redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
        "purpose": "Testing",
        "data_categories": ["income"],
    }
    admin = {"Authorization": "Bearer admin-token-for-tests"}
    with auth_server.client() as http:
        refused = http.post("/register", json=metadata, headers=admin)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_redirect_uri"
        one_host = {**metadata, "redirect_uris": ["https://a.example/cb", "https://a.example/2"]}
        assert http.post("/register", json=one_host, headers=admin).status_code == 201
        config = http.get("/.well-known/openid-configuration").json()
    assert config["subject_types_supported"] == ["public", "pairwise"]
    assert "personal_id" in config["claims_supported"]


async def test_the_migration_adds_the_access_token_hash_to_an_older_database(
    engine: AsyncEngine,
) -> None:
    # The database as migration 1 left it before this column existed.
    async with engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_tokens_access_token"))
        await connection.execute(text("ALTER TABLE tokens DROP COLUMN access_token_hash"))
        await connection.execute(text("DELETE FROM schema_migrations WHERE version = 4"))
    async with engine.begin() as connection:
        applied = await connection.run_sync(migrate)
        columns = await connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("tokens")}
        )
        indexes = await connection.run_sync(
            lambda sync: {i["name"]: i["unique"] for i in inspect(sync).get_indexes("tokens")}
        )
    assert applied == [4]
    assert "access_token_hash" in columns
    assert indexes["ix_tokens_access_token"]
