"""The auth database's tables, as SQLAlchemy Core metadata shared by SQLite and PostgreSQL.

Times are integer epoch seconds (UTC) so that both dialects compare them the same way;
lists and objects are JSON text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", BigInteger, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(100), primary_key=True),
    # sha256 of the secret; NULL for public clients.
    Column("client_secret_hash", String(64)),
    Column("metadata", Text, nullable=False),
    Column("source", String(20), nullable=False),  # "config" or "dynamic"
    Column("created_at", BigInteger, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("personal_id", String(40), nullable=False),
    Column("acr", String(200), nullable=False),
    Column("amr", Text, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

pending_authorizations = Table(
    "pending_authorizations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("session_hash", String(64), nullable=False),
    Column("params", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(100), nullable=False),
    Column("personal_id", String(40), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("nonce", Text),
    Column("code_challenge", String(128), nullable=False),
    Column("code_challenge_method", String(10), nullable=False),
    Column("consent_id", String(64)),
    Column("acr", String(200), nullable=False),
    Column("amr", Text, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    # RFC 9449 §10: the DPoP key the authorization request bound the code to.
    Column("dpop_jkt", String(64)),
)

tokens = Table(
    "tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("client_id", String(100), nullable=False),
    Column("personal_id", String(40), nullable=False),
    Column("actor", String(40)),
    Column("scope", Text, nullable=False),
    Column("consent_id", String(64)),
    Column("mandate_id", String(64)),
    Column("code_hash", String(64)),
    Column("refresh_token_hash", String(64), unique=True),
    Column("acr", String(200), nullable=False),
    Column("amr", Text, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("refresh_expires_at", BigInteger),
    Column("revoked_at", BigInteger),
    # Set when a refresh token was exchanged for a new one (rotation).
    Column("rotated_at", BigInteger),
    # The DPoP key (RFC 7638 thumbprint) the access token is bound to; a public client's
    # refresh token is bound to it too.
    Column("dpop_jkt", String(64)),
    # A platform's access token is sealed for the gateway (sealing.py): this server cannot
    # read it back, so it finds the row by the token's hash.
    Column("access_token_hash", String(64)),
    Index("ix_tokens_consent", "consent_id"),
    Index("ix_tokens_access_token", "access_token_hash", unique=True),
    Index("ix_tokens_mandate", "mandate_id"),
    Index("ix_tokens_code", "code_hash"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("principal", String(40), nullable=False),
    Column("client_id", String(100), nullable=False),
    Column("purposes", Text, nullable=False),
    Column("categories", Text, nullable=False),
    Column("authorization_details", Text, nullable=False),
    Column("recurrence", String(20), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("receipt", Text, nullable=False),
    Index("ix_consents_principal", "principal"),
)

mandates = Table(
    "mandates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("principal", String(40), nullable=False),
    Column("delegate", String(40), nullable=False),
    Column("themes", Text, nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("accepted_at", BigInteger),
    Column("revoked_at", BigInteger),
    Index("ix_mandates_principal", "principal"),
    Index("ix_mandates_delegate", "delegate"),
)

revocations = Table(
    "revocations",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    # "jti:<id>", "consent:<id>" or "mandate:<id>"
    Column("key", String(100), nullable=False, unique=True),
    Column("revoked_at", BigInteger, nullable=False),
    # After this no token the key could match is still valid; readers may forget it.
    Column("expires_at", BigInteger, nullable=False),
)

access_log = Table(
    "access_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("principal", String(40), nullable=False),
    Column("client_id", String(100), nullable=False),
    Column("actor", String(40)),
    Column("categories", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("consent_id", String(64)),
    Column("mandate_id", String(64)),
    Column("occurred_at", BigInteger, nullable=False),
    Column("trace_id", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # Two writers that read the same tail cannot both append after it.
    UniqueConstraint("prev_hash", name="uq_access_log_prev_hash"),
    Index("ix_access_log_principal", "principal", "seq"),
)

# RFC 9126: pushed authorization requests, found by the hash of their request_uri.
pushed_authorization_requests = Table(
    "pushed_authorization_requests",
    metadata,
    Column("request_uri_hash", String(64), primary_key=True),
    Column("client_id", String(100), nullable=False),
    Column("params", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
)

# Single-use identifiers (client assertion `jti`s) while they could still be accepted, when
# auth has no Redis to keep them in.
used_identifiers = Table(
    "used_identifiers",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_used_identifiers_expires", "expires_at"),
)
