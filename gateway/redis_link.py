"""A Redis connection a gateway feature can do without for a while: after a failure it is not
asked again for a few seconds, so an outage costs one timeout, not one per request."""

from __future__ import annotations

import logging
import time

import redis.asyncio as redis

_log = logging.getLogger(__name__)
# Short: a feature asks Redis on the request path, and waiting longer than this for a cache
# or a counter is worse than going without.
_SOCKET_TIMEOUT = 0.5
_PAUSE_SECONDS = 5.0


class RedisLink:
    def __init__(self, url: str, feature: str) -> None:
        self.feature = feature
        self.client = redis.Redis.from_url(
            url, socket_timeout=_SOCKET_TIMEOUT, socket_connect_timeout=_SOCKET_TIMEOUT
        )
        self._paused_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._paused_until

    def failed(self, error: Exception) -> None:
        """Record a failed command: logged once per pause, Redis skipped until it ends."""
        if self.available:
            _log.warning(
                "%s: Redis unreachable (%s); going without it for %.0fs",
                self.feature,
                error,
                _PAUSE_SECONDS,
            )
        self._paused_until = time.monotonic() + _PAUSE_SECONDS

    async def close(self) -> None:
        await self.client.aclose()


# The errors a command fails with when Redis is down, slow or not Redis.
REDIS_ERRORS = (redis.RedisError, OSError, TimeoutError)

__all__ = ["REDIS_ERRORS", "RedisLink"]
