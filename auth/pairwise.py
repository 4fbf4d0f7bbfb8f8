"""The `sub` a client is told: pairwise per platform (OpenID Connect Core §8.1), public for the
platform's own apps.

A third-party platform sees, for each citizen, a subject of its sector alone:

    sub = base64url(HMAC-SHA256(secret, sector "|" personal id))

so two platforms cannot link their users through `sub`, and one platform sees the same `sub`
at every sign-in. The sector is the host of the client's redirect URIs (§8.1: a client
registering redirect URIs on several hosts needs a `sector_identifier_uri`, which is not
implemented, so dynamic registration refuses several hosts; a configured client with several
uses the first one's). First-party clients (`first_party`: the portal, GraphiQL, this server
as the eID stand-in's client) are the citizen's own apps and get the personal identity code.

The secret is `AUTH_PAIRWISE_SECRET`, or generated at the first start into
`<data dir>/pairwise-secret`; replicas share it like the signing keys. Changing it changes
every platform's subjects.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from auth.clients import Client

_SECRET_FILE = "pairwise-secret"


def load_or_create_secret(configured: str, data_dir: Path) -> bytes:
    if configured:
        return configured.encode()
    path = data_dir / _SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Exclusive create: replicas starting together agree on whichever was written first.
        try:
            with path.open("x") as file:
                file.write(secrets.token_urlsafe(32))
        except FileExistsError:
            pass
        path.chmod(0o600)
    return path.read_text().strip().encode()


def sector_identifier(redirect_uris: list[str]) -> str:
    return (urlsplit(redirect_uris[0]).hostname or "") if redirect_uris else ""


def hosts(redirect_uris: list[str]) -> set[str]:
    return {urlsplit(uri).hostname or "" for uri in redirect_uris}


class Subjects:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def pairwise(self, sector: str, personal_id: str) -> str:
        mac = hmac.new(self._secret, f"{sector}|{personal_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def subject(self, client: Client, personal_id: str) -> str:
        """What `client` is told the citizen's `sub` is."""
        if client.first_party:
            return personal_id
        return self.pairwise(sector_identifier(client.metadata.redirect_uris), personal_id)
