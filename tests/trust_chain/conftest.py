"""One platform for the trust-chain tests: every service as `make run` starts it, on its own
ports and data, with a bank and the portal registered at the auth server and revocations
fanned out through the real Redis as well as polled."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.launched import running_platform
from tests.trust_chain.platform import Platform, write_clients

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("trust-chain").resolve()
    channel = f"test:revocations:{secrets.token_hex(4)}"
    environment = {
        "AUTH_CLIENTS_FILE": str(write_clients(data_dir / "clients.json")),
        "AUTH_REDIS_URL": REDIS_URL,
        "AUTH_REDIS_CHANNEL": channel,
        "GATEWAY_REVOCATION_REDIS_URL": REDIS_URL,
        "GATEWAY_REVOCATION_REDIS_CHANNEL": channel,
        # Replicas share the DPoP replay cache (tests/trust_chain/test_dpop.py).
        "GATEWAY_DPOP_REDIS_URL": REDIS_URL,
        "GATEWAY_DPOP_REDIS_PREFIX": f"test:dpop:{secrets.token_hex(4)}:",
        # Expiry tests wait for tokens to run out; a second of leeway keeps them short.
        "GATEWAY_TOKEN_LEEWAY": "1",
    }
    with running_platform(data_dir, **environment) as launcher:
        yield Platform(launcher, data_dir, environment)
