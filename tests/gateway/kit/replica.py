"""One more gateway in front of a federation's subgraphs: a second replica, or a gateway with
settings of its own, served like the federation's (uvicorn in a thread, lifespan on)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from gateway.http import create_app
from gateway.settings import GatewaySettings
from tests.gateway.kit.federation import Federation, GatewayClient
from tests.gateway.kit.serve import ServerThread


@contextmanager
def gateway_replica(fed: Federation, settings: Mapping[str, Any]) -> Iterator[GatewayClient]:
    server = ServerThread(
        create_app(fed.supergraph, settings=GatewaySettings(**settings)), lifespan="on"
    )
    server.start()
    try:
        yield GatewayClient(server.url)
    finally:
        server.stop()
