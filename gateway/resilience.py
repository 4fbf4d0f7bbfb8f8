"""Per-subgraph fault handling for the transport: retries, their budget, circuit breakers.

    Transport._post ─▶ Guard (one per subgraph name)
                         ├── CircuitBreaker  closed ─(N consecutive failures)─▶ open
                         │                   open ─(cool-down)─▶ half-open: one probe
                         │                   probe ok ─▶ closed; probe fails ─▶ open
                         └── RetryBudget     retries may add `ratio` of the last 10 s of
                                             requests, plus `min_per_second`

A failure here is what makes a subgraph unavailable to clients: no connection, a timeout, an
HTTP 5xx. A 4xx or a malformed body is the subgraph answering, so it neither opens the breaker
nor is retried. Only transport failures and 502/503/504 before an answer are retried: they
mean the request most likely was not processed. Timeouts are not retried: a second attempt
doubles the client's wait, and a subgraph that is slow is usually overloaded already.

Per request the closed breaker costs an attribute test, the budget one deposit: O(1).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.settings import GatewaySettings

# Statuses that say a proxy or the subgraph refused the request without processing it.
RETRYABLE_STATUSES = frozenset({502, 503, 504})
_BUDGET_WINDOW_SECONDS = 10


@dataclass(frozen=True, slots=True)
class FaultPolicy:
    """The faults settings, as the transport applies them to every subgraph."""

    max_attempts: int = 2
    retry_base_delay: float = 0.02
    retry_budget_ratio: float = 0.2
    retry_budget_min_per_second: float = 5.0
    breaker_failures: int = 5
    breaker_cooldown: float = 0.25

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> FaultPolicy:
        return cls(
            max_attempts=settings.subgraph_max_attempts,
            retry_base_delay=settings.subgraph_retry_base_delay,
            retry_budget_ratio=settings.subgraph_retry_budget_ratio,
            retry_budget_min_per_second=settings.subgraph_retry_budget_min_per_second,
            breaker_failures=settings.circuit_breaker_failures,
            breaker_cooldown=settings.circuit_breaker_cooldown,
        )

    def backoff(self, attempt: int) -> float:
        """Seconds before retry `attempt` (1, 2, ...): full jitter over an exponential
        ceiling, so retries of many clients that failed together do not arrive together."""
        return random.uniform(0, self.retry_base_delay * 2 ** (attempt - 1))


class CircuitBreaker:
    """Fails requests to a subgraph fast while it is down, letting one probe through per
    cool-down to notice its return."""

    def __init__(self, failures: int, cooldown: float) -> None:
        self.threshold = failures
        self.cooldown = cooldown
        self.consecutive_failures = 0
        self.open = False
        self.probe_in_flight = False
        self.retry_at = 0.0

    def allow(self) -> bool:
        """Whether a request may go out now; True while open means it is the probe."""
        if not self.open:
            return True
        if self.probe_in_flight or time.monotonic() < self.retry_at:
            return False
        self.probe_in_flight = True
        return True

    def succeeded(self) -> None:
        self.consecutive_failures = 0
        self.open = self.probe_in_flight = False

    def failed(self) -> None:
        self.consecutive_failures += 1
        if self.open or self.consecutive_failures >= self.threshold:
            self.open = True
            self.probe_in_flight = False
            self.retry_at = time.monotonic() + self.cooldown

    def released(self) -> None:
        """The request let through ended without telling whether the subgraph is up (it
        was cancelled): let the next one probe."""
        self.probe_in_flight = False


class RetryBudget:
    """Retries allowed to add at most `ratio` to the requests of the last 10 seconds, plus
    `min_per_second`, so a failing subgraph is not sent a multiple of its normal load."""

    def __init__(self, ratio: float, min_per_second: float) -> None:
        self.ratio = ratio
        self.allowance = min_per_second * _BUDGET_WINDOW_SECONDS
        # Per-second counts in a ring over the window, indexed by the second modulo its size.
        self.requests = [0] * _BUDGET_WINDOW_SECONDS
        self.retries = [0] * _BUDGET_WINDOW_SECONDS
        self.second = int(time.monotonic())

    def _advance(self) -> int:
        now = int(time.monotonic())
        if now != self.second:
            for passed in range(self.second + 1, now + 1)[-_BUDGET_WINDOW_SECONDS:]:
                slot = passed % _BUDGET_WINDOW_SECONDS
                self.requests[slot] = self.retries[slot] = 0
            self.second = now
        return now % _BUDGET_WINDOW_SECONDS

    def deposit(self) -> None:
        self.requests[self._advance()] += 1

    def withdraw(self) -> bool:
        slot = self._advance()
        if sum(self.retries) >= self.allowance + self.ratio * sum(self.requests):
            return False
        self.retries[slot] += 1
        return True


class Guard:
    """The breaker and retry budget of one subgraph."""

    __slots__ = ("breaker", "budget")

    def __init__(self, policy: FaultPolicy) -> None:
        self.breaker = CircuitBreaker(policy.breaker_failures, policy.breaker_cooldown)
        self.budget = RetryBudget(policy.retry_budget_ratio, policy.retry_budget_min_per_second)
