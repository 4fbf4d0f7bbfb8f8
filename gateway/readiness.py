"""Readiness: whether this gateway process can answer as configured, for an orchestrator's
probe (`GET /ready`). `/health` only says the process is alive; a gateway that is alive but
cannot check tokens or revocations would refuse every signed-in caller with 503, so it should
not be sent traffic.

    supergraph      loaded (the process would not have started otherwise)
    issuer keys     fetched at least once, when an issuer is configured (retried here, at most
                    every 10 s, if the issuer was not up when the gateway started)
    revocations     a feed in touch within GATEWAY_REVOCATION_MAX_STALENESS, when configured
    redis           each configured Redis store answers PING (rate limits, persisted queries)
"""

from __future__ import annotations

import time
from typing import Any

from gateway.authentication import Authenticator
from gateway.jwks import KeySetUnavailable
from gateway.redis_link import REDIS_ERRORS, RedisLink


async def readiness(
    authenticator: Authenticator, stores: dict[str, RedisLink | None]
) -> dict[str, Any]:
    """{"ready": bool, "checks": {name: "ok" or why not}}, each check only where configured."""
    checks: dict[str, str] = {"supergraph": "ok"}
    verifier = authenticator.verifier
    if verifier is not None:
        try:
            await verifier.keys.ensure_fetched()
            checks["issuer_keys"] = "ok"
        except KeySetUnavailable as error:
            checks["issuer_keys"] = str(error)
    if authenticator.feeds:
        staleness = authenticator.revocations.staleness(time.time())
        limit = authenticator.settings.revocation_max_staleness
        checks["revocations"] = (
            "ok" if staleness <= limit else f"no revocation feed in touch for over {limit:g}s"
        )
    for name, link in stores.items():
        if link is None:
            continue
        try:
            await link.client.ping()
            checks[f"redis:{name}"] = "ok"
        except REDIS_ERRORS as error:
            checks[f"redis:{name}"] = f"unreachable: {type(error).__name__}"
    return {"ready": all(value == "ok" for value in checks.values()), "checks": checks}


__all__ = ["readiness"]
