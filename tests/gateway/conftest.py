"""Fixtures for the gateway's behavioural tests: a test module names its TOPIC (a folder under
fixtures/) and may set GATEWAY_SETTINGS; the topic's subgraphs and the gateway are started
once per module and reset (requests forgotten, faults cleared, servers back up) per test."""

from collections.abc import Iterator

import pytest

pytest.register_assert_rewrite("tests.gateway.kit.asserts")

from tests.gateway.kit.federation import (  # noqa: E402
    Federation,
    GatewayClient,
    load_topic,
    start_federation,
)
from tests.gateway.kit.issuer import TestIssuer  # noqa: E402


@pytest.fixture(scope="module")
def federation(request: pytest.FixtureRequest) -> Iterator[Federation]:
    topic = load_topic(request.module.TOPIC)
    settings = getattr(request.module, "GATEWAY_SETTINGS", None)
    with start_federation(topic, settings) as fed:
        yield fed


@pytest.fixture
def fed(federation: Federation) -> Iterator[Federation]:
    federation.reset()
    yield federation
    federation.reset()


@pytest.fixture
def gw(fed: Federation) -> GatewayClient:
    return fed.gateway


@pytest.fixture(scope="module")
def issuer() -> Iterator[TestIssuer]:
    """A token issuer over real HTTP, one per test module (its keys and revocations are the
    module's own)."""
    issuer = TestIssuer()
    issuer.start()
    yield issuer
    issuer.stop()
