"""Who the bank is at the citizen account: the provider's endpoints (discovery) and the bank's
own client registration (RFC 7591), made once and kept in the data dir.

    stored registration for this issuer and redirect URI, and the issuer still knows it?
        yes ─▶ reuse it
        no  ─▶ POST registration_endpoint (Bearer: the operator's initial access token)
               ─▶ client_id + client_secret ─▶ <data dir>/registration.json (0600)
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

CLIENT_NAME = "Mortgage bank (example)"
PURPOSE = "Mortgage application: check your identity and income"
CATEGORIES = ("identity", "income")
REGISTRATION_FILE = "registration.json"
_TIMEOUT = aiohttp.ClientTimeout(total=10)

_log = logging.getLogger(__name__)


class ProviderUnavailable(Exception):
    """The citizen account did not answer, or answered what it should not."""


class RegistrationRefused(Exception):
    """The citizen account refused to register the bank."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    revocation_endpoint: str


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    issuer: str
    redirect_uri: str

    def __repr__(self) -> str:
        # Keeps the secret out of logs and tracebacks that print the object.
        return f"Credentials(client_id={self.client_id!r}, issuer={self.issuer!r})"


async def discover(http: aiohttp.ClientSession, issuer: str) -> Provider:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        async with http.get(url, timeout=_TIMEOUT) as answer:
            document = await answer.json(content_type=None) if answer.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise ProviderUnavailable(f"discovery at {url}: {error}") from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProviderUnavailable(f"discovery at {url} did not describe {issuer}")
    try:
        return Provider(
            issuer=issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            registration_endpoint=str(
                document.get("registration_endpoint") or issuer.rstrip("/") + "/register"
            ),
            revocation_endpoint=str(document["revocation_endpoint"]),
        )
    except KeyError as missing:
        raise ProviderUnavailable(f"discovery at {url} names no {missing}") from None


def metadata(redirect_uri: str, public_url: str) -> dict[str, Any]:
    return {
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "purpose": PURPOSE,
        "data_categories": list(CATEGORIES),
        "client_uri": public_url,
        "policy_uri": public_url.rstrip("/") + "/privacy",
    }


async def ensure_registered(
    http: aiohttp.ClientSession,
    provider: Provider,
    data_dir: Path,
    redirect_uri: str,
    public_url: str,
    initial_access_token_file: Path | None,
) -> Credentials:
    stored = load(data_dir)
    if (
        stored is not None
        and stored.issuer == provider.issuer
        and stored.redirect_uri == redirect_uri
        and await still_known(http, provider, stored)
    ):
        return stored
    credentials = await register(
        http, provider, redirect_uri, public_url, _initial_access_token(initial_access_token_file)
    )
    save(data_dir, credentials)
    _log.info("registered at %s as client %s", provider.issuer, credentials.client_id)
    return credentials


async def still_known(
    http: aiohttp.ClientSession, provider: Provider, credentials: Credentials
) -> bool:
    """Whether the issuer still accepts these credentials (its data may have been wiped).

    RFC 7009 answers 200 to an authenticated client revoking a token it does not know, and
    401 `invalid_client` to a client it does not know: a check that changes nothing."""
    basic = {
        "authorization": aiohttp.encode_basic_auth(credentials.client_id, credentials.client_secret)
    }
    form = {"token": secrets.token_urlsafe(16), "token_type_hint": "refresh_token"}
    try:
        async with http.post(
            provider.revocation_endpoint, data=form, headers=basic, timeout=_TIMEOUT
        ) as answer:
            status = answer.status
    except (aiohttp.ClientError, TimeoutError) as error:
        raise ProviderUnavailable(f"the revocation endpoint: {error}") from None
    if status == 200:
        return True
    if status == 401:
        _log.info("the issuer no longer knows client %s; registering again", credentials.client_id)
        return False
    raise ProviderUnavailable(f"the revocation endpoint answered {status}")


async def register(
    http: aiohttp.ClientSession,
    provider: Provider,
    redirect_uri: str,
    public_url: str,
    initial_access_token: str,
) -> Credentials:
    headers = {"authorization": f"Bearer {initial_access_token}"}
    try:
        async with http.post(
            provider.registration_endpoint,
            json=metadata(redirect_uri, public_url),
            headers=headers,
            timeout=_TIMEOUT,
        ) as answer:
            status = answer.status
            body = await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise ProviderUnavailable(f"the registration endpoint: {error}") from None
    if status != 201 or not isinstance(body, dict):
        code = body.get("error") if isinstance(body, dict) else None
        raise RegistrationRefused(f"the registration endpoint answered {status} {code or ''}")
    client_id, client_secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        raise RegistrationRefused("the registration answer has no client_id and client_secret")
    return Credentials(client_id, client_secret, provider.issuer, redirect_uri)


def _initial_access_token(path: Path | None) -> str:
    if path is None:
        raise RegistrationRefused("BANK_INITIAL_ACCESS_TOKEN_FILE is not set")
    try:
        return path.read_text().strip()
    except OSError as error:
        raise RegistrationRefused(
            f"BANK_INITIAL_ACCESS_TOKEN_FILE {path}: {error.strerror}"
        ) from None


def load(data_dir: Path) -> Credentials | None:
    try:
        data = json.loads((data_dir / REGISTRATION_FILE).read_text())
        return Credentials(**{k: str(data[k]) for k in Credentials.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(data_dir: Path, credentials: Credentials) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = data_dir / (REGISTRATION_FILE + ".partial")
    partial.unlink(missing_ok=True)
    # Created 0600 from the start: the secret is never readable by others, not even briefly.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(asdict(credentials), file)
    partial.replace(data_dir / REGISTRATION_FILE)
