"""Registered platforms (OAuth clients): their metadata, how they authenticate, and the
registry that loads them from configuration or RFC 7591 dynamic registration."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.authorization_details import CATEGORIES, TYPE

if TYPE_CHECKING:
    from auth.profile import PlatformProfile

log = logging.getLogger(__name__)

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_TYPES = ("authorization_code", "refresh_token", TOKEN_EXCHANGE)
PRIVATE_KEY_JWT = "private_key_jwt"
FAPI2 = "fapi2"
# Asymmetric algorithms a FAPI 2.0 client may be served ID tokens in (FAPI 2.0 §5.4).
FAPI_ALGORITHMS = ("PS256", "ES256")


class ClientMetadata(BaseModel):
    """RFC 7591 client metadata plus what a platform must declare here: its purpose and the
    data categories it may ever ask for."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    client_name: str = Field(min_length=1, max_length=200)
    redirect_uris: list[str] = Field(min_length=1)
    grant_types: list[str] = ["authorization_code", "refresh_token"]
    response_types: list[str] = ["code"]
    token_endpoint_auth_method: Literal[
        "client_secret_basic", "client_secret_post", "none", "private_key_jwt"
    ] = "client_secret_basic"
    # private_key_jwt (RFC 7523): the client's public keys, given inline or at a URL.
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    # OpenID Connect Registration §2; unset: RS256, or PS256 under the FAPI 2.0 profile.
    id_token_signed_response_alg: Literal["RS256", "PS256", "ES256"] | None = None
    # RFC 9126 §6: this client's authorization requests are accepted only when pushed.
    require_pushed_authorization_requests: bool = False
    # RFC 9449 §5.2: every access token issued to this client is DPoP-bound.
    dpop_bound_access_tokens: bool = False
    # "fapi2": the FAPI 2.0 profile (auth/profile.py) turns the settings above on at once.
    profile: Literal["fapi2"] | None = None
    purpose: str = Field(min_length=1, max_length=500)
    data_categories: list[str] = Field(min_length=1)
    authorization_details_types: list[str] = [TYPE]
    client_uri: str | None = None
    policy_uri: str | None = None
    # OpenID Connect RP-Initiated Logout 1.0: where `/logout` may send the browser back to
    # (compared exactly, like redirect URIs).
    post_logout_redirect_uris: list[str] = []

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _redirect_uris(cls, uris: list[str]) -> list[str]:
        for uri in uris:
            parts = urlsplit(uri)
            if (
                not parts.scheme
                or parts.fragment
                or (parts.scheme in ("http", "https") and not parts.netloc)
            ):
                raise ValueError(f"{uri!r} is not an absolute URI without a fragment")
            if parts.scheme in ("javascript", "data", "vbscript"):
                raise ValueError(f"{uri!r} uses a forbidden scheme")
        return uris

    @field_validator("jwks")
    @classmethod
    def _public_keys(cls, jwks: dict[str, Any] | None) -> dict[str, Any] | None:
        if jwks is None:
            return None
        keys = jwks.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
            raise ValueError("a JWK Set needs a non-empty 'keys' list")
        if any("d" in k for k in keys):
            raise ValueError("a JWK Set here holds public keys only; this one has a private key")
        return jwks

    @model_validator(mode="after")
    def _authentication(self) -> ClientMetadata:
        key_based = self.token_endpoint_auth_method == PRIVATE_KEY_JWT
        if key_based and (self.jwks is None) == (self.jwks_uri is None):
            raise ValueError("private_key_jwt needs exactly one of jwks, jwks_uri")
        if not key_based and (self.jwks is not None or self.jwks_uri is not None):
            raise ValueError("jwks and jwks_uri are for token_endpoint_auth_method private_key_jwt")
        if self.profile == FAPI2:
            if not key_based:
                raise ValueError(
                    "the fapi2 profile needs a key-based client authentication: "
                    "token_endpoint_auth_method private_key_jwt (with jwks or jwks_uri)"
                )
            alg = self.id_token_signed_response_alg
            if alg is not None and alg not in FAPI_ALGORITHMS:
                raise ValueError(
                    f"the fapi2 profile signs ID tokens with {' or '.join(FAPI_ALGORITHMS)}, "
                    f"not {alg}"
                )
        return self

    @field_validator("grant_types")
    @classmethod
    def _grant_types(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in GRANT_TYPES]
        if unknown:
            raise ValueError(f"unsupported grant types {unknown}")
        return values

    @field_validator("response_types")
    @classmethod
    def _response_types(cls, values: list[str]) -> list[str]:
        if any(v != "code" for v in values):
            raise ValueError("only the 'code' response type is supported")
        return values

    @field_validator("data_categories")
    @classmethod
    def _categories(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown data categories {unknown}; known: {list(CATEGORIES)}")
        return values

    @field_validator("authorization_details_types")
    @classmethod
    def _types(cls, values: list[str]) -> list[str]:
        if any(v != TYPE for v in values):
            raise ValueError(f"only '{TYPE}' authorization details are supported")
        return values


class ConfiguredClient(ClientMetadata):
    """A client from the operator's file: may also carry privileges no registration grants."""

    client_id: str = Field(min_length=1, max_length=100)
    # sha256 hex of the secret, so the file holds no secret; absent for public clients.
    client_secret_sha256: str | None = None
    # Resource servers (the gateway) introspect any token and record disclosures.
    resource_server: bool = False
    # The platform's own apps (the citizen portal): the citizen's own data needs no consent.
    first_party: bool = False
    # Requests per rate-limit window (a minute by default) the gateway admits from this
    # client: the quota it was registered with. Unset: the gateway's default quota. The
    # launcher hands these to the gateway (GATEWAY_RATE_LIMIT_CLIENTS); auth ignores them.
    rate_limit: int | None = Field(default=None, ge=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Client:
    """What authlib's grants need of a client (its ClientMixin, by duck typing)."""

    client_id: str
    client_secret_hash: str | None
    metadata: ClientMetadata
    resource_server: bool = False
    first_party: bool = False

    @property
    def client_name(self) -> str:
        return self.metadata.client_name

    @property
    def third_party(self) -> bool:
        return not (self.first_party or self.resource_server)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an unambiguous registration may omit redirect_uri (RFC 6749 §3.1.2.3).
        uris = self.metadata.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison, no prefix or pattern matching (RFC 9700 §4.1.3).
        return redirect_uri in self.metadata.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret_hash is None:
            return False
        return hmac.compare_digest(self.client_secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.metadata.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.metadata.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.grant_types

    @property
    def is_public(self) -> bool:
        return self.metadata.token_endpoint_auth_method == "none"


class ClientConfigError(Exception):
    pass


def read_clients_file(path: Path) -> list[ConfiguredClient]:
    """Parse the operator's JSON list of clients; the error names the file and the entry."""
    try:
        items = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ClientConfigError(f"AUTH_CLIENTS_FILE {path}: {error}") from None
    if not isinstance(items, list):
        raise ClientConfigError(f"AUTH_CLIENTS_FILE {path}: expected a JSON list of clients")
    clients = []
    for index, item in enumerate(items):
        try:
            client = ConfiguredClient.model_validate(item)
        except ValidationError as error:
            raise ClientConfigError(f"AUTH_CLIENTS_FILE {path}, client #{index}: {error}") from None
        method = client.token_endpoint_auth_method
        if method not in ("none", PRIVATE_KEY_JWT) and not client.client_secret_sha256:
            raise ClientConfigError(
                f"AUTH_CLIENTS_FILE {path}, client {client.client_id!r}: a confidential client "
                "needs client_secret_sha256"
            )
        clients.append(client)
    return clients


class ClientRegistry:
    """Clients as stored, with the server-wide platform settings (`profile`) applied to every
    third-party platform when read."""

    def __init__(self, engine: AsyncEngine, profile: PlatformProfile) -> None:
        self.engine = engine
        self.profile = profile

    async def get(self, client_id: str) -> Client | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(tables.clients).where(tables.clients.c.client_id == client_id)
                )
            ).first()
        if row is None:
            return None
        data = json.loads(row.metadata)
        resource_server = bool(data.pop("resource_server", False))
        first_party = bool(data.pop("first_party", False))
        try:
            metadata = self.profile.apply(
                ClientMetadata.model_validate(data),
                third_party=not (first_party or resource_server),
            )
        except ValidationError as error:
            # Registered before the server-wide profile was turned on, and unable to hold
            # it (a shared secret under fapi2): it may not act until registered again.
            log.warning("client %s refused: %s", client_id, error.errors()[0]["msg"])
            return None
        return Client(row.client_id, row.client_secret_hash, metadata, resource_server, first_party)

    async def sync_configured(self, configured: list[ConfiguredClient]) -> None:
        """Make the stored configured clients equal the file; dynamic ones are left alone."""
        now = int(time.time())
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.clients.delete().where(tables.clients.c.source == "config")
            )
            for client in configured:
                metadata = client.model_dump(exclude={"client_id", "client_secret_sha256"})
                await connection.execute(
                    tables.clients.delete().where(tables.clients.c.client_id == client.client_id)
                )
                await connection.execute(
                    tables.clients.insert().values(
                        client_id=client.client_id,
                        client_secret_hash=client.client_secret_sha256,
                        metadata=json.dumps(metadata),
                        source="config",
                        created_at=now,
                    )
                )

    async def register(self, metadata: ClientMetadata) -> tuple[Client, str | None, int]:
        """RFC 7591 registration: a new client id, and a secret unless the client is public."""
        client_id = "dyn-" + secrets.token_urlsafe(18)
        keyless = metadata.token_endpoint_auth_method in ("none", PRIVATE_KEY_JWT)
        secret = None if keyless else secrets.token_urlsafe(32)
        secret_hash = hash_secret(secret) if secret else None
        now = int(time.time())
        async with self.engine.begin() as connection:
            await connection.execute(
                tables.clients.insert().values(
                    client_id=client_id,
                    client_secret_hash=secret_hash,
                    metadata=metadata.model_dump_json(),
                    source="dynamic",
                    created_at=now,
                )
            )
        return Client(client_id, secret_hash, metadata), secret, now
