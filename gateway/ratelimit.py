"""Rate limits: requests per sliding window, per client address and per OAuth client.

    connection address (or X-Forwarded-For behind `trusted_proxies`) ─▶ per-address limit
        ... authentication ...
    the verified token's client_id ─▶ its quota (`rate_limit_clients`, else the default)

The per-address limit is checked before the token is, so a flood of forged tokens is limited
too; the per-client one after, as only a verified token names a client. Each limit counts in a
sliding window approximated from two fixed windows (this one, and the previous one weighted by
how much of it the sliding window still covers): two counters per key, whatever the limit.

With `ratelimit_redis_url` the counters live in Redis, updated by one Lua script per check
(atomic, on Redis's clock), so every replica counts in the same window. When Redis cannot be
reached, each replica counts in its own window until it can: a caller then gets at most the
limit per replica. Refusing every request (fail closed) would turn a Redis outage into a
gateway outage; admitting every request (fail open) would drop the flood protection exactly
when an operator is busy with something else.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Address, Headers

from gateway.redis_link import REDIS_ERRORS, RedisLink
from gateway.settings import GatewaySettings

# KEYS[1]: the counted key; ARGV: window seconds, limit. Answers "0" when the request is
# admitted (and counted), otherwise the seconds until one would be. Mirrors _SlidingWindows.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local index = math.floor(now / window)
local elapsed = now - index * window
local state = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local current = tonumber(state[2]) or 0
local previous = tonumber(state[3]) or 0
if tonumber(state[1]) ~= index then
  if tonumber(state[1]) == index - 1 then previous = current else previous = 0 end
  current = 0
end
if previous * (window - elapsed) / window + current + 1 <= limit then
  redis.call('HSET', KEYS[1], 'w', index, 'c', current + 1, 'p', previous)
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 2000))
  return '0'
end
local wait
if current + 1 <= limit then
  wait = window * (1 - (limit - 1 - current) / previous) - elapsed
else
  wait = window - elapsed + window * (1 - (limit - 1) / current)
end
return tostring(math.max(wait, 0.001))
"""


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A refused request: which limit, and whole seconds until the window admits again."""

    message: str
    retry_after: int


def _wait(previous: int, current: int, elapsed: float, window: float, limit: int) -> float:
    """Seconds until a request would be admitted; 0 when it is now."""
    if previous * (window - elapsed) / window + current + 1 <= limit:
        return 0.0
    if current + 1 <= limit:
        # The previous window's weight has to shrink until the estimate leaves room.
        wait = window * (1 - (limit - 1 - current) / previous) - elapsed
    else:
        # Not before the next window, where this one's count is the one that shrinks.
        wait = window - elapsed + window * (1 - (limit - 1) / current)
    # Never 0 for a refusal, whatever the rounding: 0 means admitted.
    return max(wait, 0.001)


class _SlidingWindows:
    """The counters of one process: key -> [window index, count in it, count in the one
    before]. Keys idle for two windows are dropped once per window."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.counters: dict[str, list[int]] = {}
        self._swept = 0

    def hit(self, key: str, limit: int) -> float:
        now = time.monotonic()
        index = int(now // self.window)
        if index != self._swept:
            self.counters = {k: c for k, c in self.counters.items() if c[0] >= index - 1}
            self._swept = index
        counter = self.counters.get(key)
        if counter is None:
            counter = self.counters[key] = [index, 0, 0]
        elif counter[0] != index:
            counter[2] = counter[1] if counter[0] == index - 1 else 0
            counter[0], counter[1] = index, 0
        wait = _wait(counter[2], counter[1], now - index * self.window, self.window, limit)
        if wait == 0:
            counter[1] += 1
        return wait


class RateLimiter:
    """The gateway's limits; `check_*` answer None to admit a request, RateLimited to refuse."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.per_address = settings.rate_limit_per_ip
        self.per_client = settings.rate_limit_per_client
        self.client_quotas: Mapping[str, int] = dict(settings.rate_limit_clients)
        self.limits_clients = self.per_client is not None or bool(self.client_quotas)
        self.trusted_proxies = settings.trusted_proxies
        self.window = settings.rate_limit_window
        self.local = _SlidingWindows(settings.rate_limit_window)
        self.prefix = settings.ratelimit_redis_prefix
        self.redis: RedisLink | None = None
        if settings.ratelimit_redis_url is not None:
            self.redis = RedisLink(settings.ratelimit_redis_url, "rate limits")
            self._script = self.redis.client.register_script(_SLIDING_WINDOW_LUA)

    async def check_address(self, peer: Address | None, headers: Headers) -> RateLimited | None:
        if self.per_address is None:
            return None
        address = _address_key(self.client_address(peer, headers))
        wait = await self._hit(f"ip:{address}", self.per_address)
        if wait == 0:
            return None
        return RateLimited("Too many requests from this address.", _seconds(wait))

    async def check_client(self, claims: Mapping[str, Any] | None) -> RateLimited | None:
        """`claims`: the verified caller's (None: anonymous, which no client quota covers)."""
        if not self.limits_clients or claims is None:
            return None
        client_id = claims.get("client_id")
        if not isinstance(client_id, str):
            return None
        limit = self.client_quotas.get(client_id, self.per_client)
        if limit is None:
            return None
        wait = await self._hit(f"client:{client_id}", limit)
        if wait == 0:
            return None
        return RateLimited(f"Client {client_id!r} is over its request quota.", _seconds(wait))

    def client_address(self, peer: Address | None, headers: Headers) -> str:
        """The connection's address or, behind `trusted_proxies` proxies that each append
        the address they were reached from, the entry that many from X-Forwarded-For's end.
        A list shorter than that did not come through them all: the connection counts."""
        peer_host = peer.host if peer is not None else "unknown"
        if self.trusted_proxies == 0:
            return peer_host
        forwarded = [
            entry.strip()
            for header in headers.getlist("x-forwarded-for")
            for entry in header.split(",")
        ]
        if len(forwarded) < self.trusted_proxies:
            return peer_host
        return forwarded[-self.trusted_proxies] or peer_host

    async def _hit(self, key: str, limit: int) -> float:
        if self.redis is not None and self.redis.available:
            try:
                answer = await self._script(keys=[self.prefix + key], args=[self.window, limit])
                return float(answer)
            except REDIS_ERRORS as error:
                self.redis.failed(error)
        return self.local.hit(key, limit)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


def _address_key(host: str) -> str:
    """IPv6 hosts are limited per /64, the smallest block one subscriber usually gets."""
    if ":" not in host:  # IPv4 (or a name): as it is, without parsing on every request
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


__all__ = ["RateLimited", "RateLimiter"]
