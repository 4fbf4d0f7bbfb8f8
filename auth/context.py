"""Everything a running authorization server holds, built once at start-up."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.access_log import AccessLog
from auth.clients import ClientRegistry, read_clients_file
from auth.codes import CodeStore
from auth.consents import ConsentStore
from auth.db import open_database
from auth.dpop import make_verifier
from auth.keys import ALGORITHMS, KeyStore
from auth.mandates import MandateStore
from auth.pairwise import Subjects, load_or_create_secret
from auth.population import (
    GraphQLPopulationRegister,
    PopulationRegister,
    SqlitePopulationRegister,
)
from auth.profile import PlatformProfile
from auth.replay import ReplayCache
from auth.revocation import RevocationPublisher
from auth.sealing import TokenSealer
from auth.sessions import SessionStore
from auth.settings import AuthSettings
from auth.tokens import AccessTokenVerifier, TokenStore
from gateway.dpop import DpopVerifier


@dataclass
class AuthContext:
    settings: AuthSettings
    engine: AsyncEngine
    keys: KeyStore
    clients: ClientRegistry
    codes: CodeStore
    tokens: TokenStore
    consents: ConsentStore
    mandates: MandateStore
    access_log: AccessLog
    sessions: SessionStore
    register: PopulationRegister
    publisher: RevocationPublisher
    verifier: AccessTokenVerifier
    admin_token: str
    dpop: DpopVerifier
    # Used client assertion jtis (auth/client_assertion.py).
    replay: ReplayCache
    subjects: Subjects
    # Set by the app once it knows the gateway's JWKS; without it no platform token is issued.
    sealer: TokenSealer | None = None

    async def close(self) -> None:
        await self.dpop.replay.close()
        await self.register.close()
        await self.publisher.close()
        await self.replay.close()
        await self.engine.dispose()


def _admin_token(settings: AuthSettings) -> str:
    """The RFC 7591 initial access token: configured, or in development generated once into
    the data directory for the operator to read. Empty disables registration."""
    if settings.admin_token:
        return settings.admin_token
    if not settings.development:
        return ""
    path = settings.data_dir / "auth-admin-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def make_register(settings: AuthSettings) -> PopulationRegister:
    if settings.population_url:
        return GraphQLPopulationRegister(settings.population_url, settings.test_citizens)
    return SqlitePopulationRegister(settings.resolved_population_file())


async def open_context(
    settings: AuthSettings, register: PopulationRegister | None = None
) -> AuthContext:
    configured = read_clients_file(settings.clients_file) if settings.clients_file else []
    engine = await open_database(settings.resolved_database_url(), settings.database_schema)
    keys = KeyStore(
        settings.data_dir / "keys",
        max_token_ttl=max(settings.access_token_ttl, settings.id_token_ttl),
        rotation_seconds=settings.key_rotation_days * 86400,
        algorithms=ALGORITHMS,
    )
    keys.load()
    clients = ClientRegistry(engine, PlatformProfile.from_settings(settings))
    await clients.sync_configured(configured)
    publisher = RevocationPublisher(engine, settings.redis_url, settings.redis_channel)
    tokens = TokenStore(engine, publisher, settings.access_token_ttl)
    return AuthContext(
        settings=settings,
        engine=engine,
        keys=keys,
        clients=clients,
        codes=CodeStore(engine, settings.code_ttl),
        tokens=tokens,
        consents=ConsentStore(
            engine,
            keys,
            tokens,
            settings.issuer,
            one_time_seconds=settings.code_ttl + settings.access_token_ttl,
            max_days=settings.max_consent_days,
        ),
        mandates=MandateStore(engine, tokens),
        access_log=AccessLog(engine),
        sessions=SessionStore(engine, settings.session_ttl),
        register=register or make_register(settings),
        publisher=publisher,
        verifier=AccessTokenVerifier(keys, settings.issuer, settings.audience, tokens),
        admin_token=_admin_token(settings),
        dpop=make_verifier(settings),
        replay=ReplayCache(engine, settings.redis_url),
        subjects=Subjects(load_or_create_secret(settings.pairwise_secret, settings.data_dir)),
    )
