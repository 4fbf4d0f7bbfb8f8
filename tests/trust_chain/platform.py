"""The running platform and real tokens from its auth server, as each kind of caller gets them.

Every token here comes out of the OAuth flows a real client runs: the citizen signs in to the
first-party portal (the launcher's `portal` client: code + PKCE, test sign-in), a platform
asks for consent and the citizen ticks categories, a delegate or guardian exchanges their own
token (RFC 8693). Nothing is minted by the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from auth.clients import hash_secret
from gateway.token_encryption import TokenDecryption, load_or_create_decryption_key
from launcher.clients import PORTAL_CLIENT_ID, client_secret
from tests.auth.support import Pkce, authorize, citizen_data, decode_unverified
from tests.launched import HOST, ROOT, Launcher, free_base_port

CATEGORIES = ("identity", "address", "family", "income", "tax", "benefits", "vehicles", "business")
BANK_SECRET = "bank-secret-for-trust-chain-tests"
BANK_REDIRECT = "https://bank.example/callback"
# A second third-party platform, on a host (a pairwise sector) of its own.
HOUSING_SECRET = "housing-secret-for-trust-chain-tests"
HOUSING_REDIRECT = "https://housing.example/callback"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def write_clients(path: Path) -> Path:
    path.write_text(
        json.dumps(
            [
                {
                    "client_id": "bank",
                    "client_name": "Example Bank",
                    "redirect_uris": [BANK_REDIRECT],
                    "token_endpoint_auth_method": "client_secret_basic",
                    "client_secret_sha256": hash_secret(BANK_SECRET),
                    "purpose": "Mortgage application",
                    "data_categories": list(CATEGORIES),
                },
                {
                    "client_id": "housing",
                    "client_name": "Example Housing",
                    "redirect_uris": [HOUSING_REDIRECT],
                    "token_endpoint_auth_method": "client_secret_basic",
                    "client_secret_sha256": hash_secret(HOUSING_SECRET),
                    "purpose": "Rental application",
                    "data_categories": list(CATEGORIES),
                },
            ]
        )
    )
    return path


@dataclass
class Platform:
    launcher: Launcher
    data_dir: Path
    environment: dict[str, str]  # what the test added to the launcher's environment

    @property
    def gateway(self) -> str:
        return self.launcher.service("gateway").url(HOST)

    @property
    def auth(self) -> str:
        return self.launcher.service("auth").url(HOST, "")

    def subgraph(self, name: str) -> str:
        return self.launcher.service(name).url(HOST)

    def post(
        self, query: str, token: str | None = None, url: str | None = None, **variables: Any
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            url or self.gateway,
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )

    def graphql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        response = self.post(query, token, **variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    @property
    def portal_redirect(self) -> str:
        return self.launcher.service("portal").url(HOST, "/callback")

    @property
    def portal_credentials(self) -> tuple[str, str]:
        """The portal's client secret, as the launcher made it in the data dir."""
        return PORTAL_CLIENT_ID, client_secret(self.data_dir, PORTAL_CLIENT_ID)

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.auth, follow_redirects=False, timeout=30)

    def own_token(self, personal_id: str) -> str:
        """The citizen signs in to the first-party portal, asking for every category and to
        manage their account."""
        pkce = Pkce.new()
        params = {
            "response_type": "code",
            "client_id": "portal",
            "redirect_uri": self.portal_redirect,
            "scope": " ".join(["openid", *(f"{c}:read" for c in CATEGORIES), "account:manage"]),
            "state": "s",
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
        with self._client() as http:
            answer = authorize(http, params, personal_id, None)
            response = http.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": answer["code"],
                    "redirect_uri": self.portal_redirect,
                    "code_verifier": pkce.verifier,
                },
                auth=self.portal_credentials,
            )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def platform_token(
        self,
        personal_id: str,
        asked: list[str],
        ticked: list[str],
        expires_in: float | None = None,
    ) -> tuple[str, str | None]:
        """The bank asks for `asked`; the citizen approves `ticked`. Returns the access
        token and the consent id. With no categories asked, it only signs the citizen in."""
        body = self.platform_tokens(personal_id, asked, ticked, expires_in)
        return str(body["access_token"]), self.gateway_claims(body["access_token"]).get(
            "consent_id"
        )

    def platform_tokens(
        self,
        personal_id: str,
        asked: list[str],
        ticked: list[str],
        expires_in: float | None = None,
        client: tuple[str, str, str] = ("bank", BANK_SECRET, BANK_REDIRECT),
    ) -> dict[str, Any]:
        """The token response a platform (`client`: id, secret, redirect URI; the bank by
        default) gets when it asks for `asked` and the citizen approves `ticked`."""
        client_id, secret, redirect_uri = client
        pkce = Pkce.new()
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": "s",
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
        if asked:
            extra = {}
            if expires_in is not None:
                end = datetime.fromtimestamp(time.time() + expires_in, UTC)
                extra["expires_at"] = end.isoformat().replace("+00:00", "Z")
            params["authorization_details"] = citizen_data(asked, **extra)
        with self._client() as http:
            answer = authorize(http, params, personal_id, ticked)
            response = http.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": answer["code"],
                    "redirect_uri": redirect_uri,
                    "code_verifier": pkce.verifier,
                },
                auth=(client_id, secret),
            )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def gateway_claims(self, access_token: str) -> dict[str, Any]:
        """A platform's access token as the gateway reads it: opened with the gateway's key
        (the launcher's gateway keeps it in the data dir), the signed JWT inside decoded."""
        key = load_or_create_decryption_key(self.data_dir / "gateway-keys")
        return decode_unverified(TokenDecryption(key).open(access_token))

    def exchange(self, actor_token: str, principal: str) -> httpx.Response:
        with self._client() as http:
            return http.post(
                "/token",
                data={
                    "grant_type": EXCHANGE,
                    "subject_token": principal,
                    "subject_token_type": "urn:citizen-account:params:oauth:token-type:personal-id",
                    "actor_token": actor_token,
                    "actor_token_type": "urn:ietf:params:oauth:token-type:access_token",
                },
                auth=self.portal_credentials,
            )

    def delegated_token(self, actor_token: str, principal: str) -> str:
        response = self.exchange(actor_token, principal)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def mandate(
        self,
        principal_token: str,
        delegate: str,
        delegate_token: str,
        themes: list[str],
        valid_for: float = 3600,
    ) -> str:
        """The principal gives a mandate through the gateway; the delegate accepts it."""
        until = datetime.fromtimestamp(time.time() + valid_for, UTC).isoformat()
        granted = self.graphql(
            "mutation($d: ID!, $t: [DataCategory!]!, $u: DateTime!) "
            "{ grantMandate(delegate: $d, themes: $t, validUntil: $u) { id } }",
            principal_token,
            d=delegate,
            t=[theme.upper() for theme in themes],
            u=until,
        )
        assert "errors" not in granted, granted
        mandate_id = str(granted["data"]["grantMandate"]["id"])
        accepted = self.graphql(
            "mutation($id: ID!) { acceptMandate(id: $id) { status } }",
            delegate_token,
            id=mandate_id,
        )
        assert accepted["data"]["acceptMandate"]["status"] == "ACTIVE", accepted
        return mandate_id


@contextmanager
def another_gateway(
    platform: Platform, drop: tuple[str, ...] = (), **changes: str
) -> Iterator[str]:
    """Another gateway process beside the launcher's (a replica): the same supergraph, issuer,
    identity key and settings, less the variables in `drop`, with `changes`; its GraphQL URL."""
    first = platform.launcher.service("gateway")
    port = free_base_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CITIZEN_", "GATEWAY_", "AUTH_"))
    }
    environment.update(first.environment)
    environment.update({k: v for k, v in platform.environment.items() if k.startswith("GATEWAY_")})
    for name in drop:
        del environment[name]
    environment.update(changes)
    process = subprocess.Popen(
        [*first.argv[: first.argv.index("--port")], "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.1)
        yield f"http://{HOST}:{port}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=10)
