"""Unit behaviour of gateway/resilience.py, where real time would make HTTP tests slow: the
retry budget's arithmetic, the breaker's states, the backoff's bounds."""

import pytest

from gateway import resilience
from gateway.resilience import CircuitBreaker, FaultPolicy, RetryBudget


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(resilience.time, "monotonic", clock)
    return clock


def test_retries_are_limited_to_the_minimum_plus_a_share_of_recent_requests(clock: _Clock) -> None:
    budget = RetryBudget(ratio=0.2, min_per_second=1)  # 10 over the 10 s window, plus 20%
    for _ in range(50):
        budget.deposit()
    allowed = sum(budget.withdraw() for _ in range(100))
    assert allowed == 20


def test_the_retry_budget_refills_as_the_window_moves_on(clock: _Clock) -> None:
    budget = RetryBudget(ratio=0.0, min_per_second=0.5)
    assert sum(budget.withdraw() for _ in range(10)) == 5
    clock.now += 5
    assert not budget.withdraw()
    clock.now += 6
    assert sum(budget.withdraw() for _ in range(10)) == 5


def test_the_breaker_opens_after_consecutive_failures_only(clock: _Clock) -> None:
    breaker = CircuitBreaker(failures=3, cooldown=0.5)
    breaker.failed()
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert not breaker.allow()


def test_an_open_breaker_lets_one_probe_through_per_cooldown(clock: _Clock) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=0.5)
    breaker.failed()
    assert not breaker.allow()
    clock.now += 0.5
    assert breaker.allow()
    assert not breaker.allow(), "one probe at a time"
    breaker.failed()
    assert not breaker.allow()
    clock.now += 0.5
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.allow() and breaker.allow()


def test_a_cancelled_probe_lets_the_next_request_probe(clock: _Clock) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=0.5)
    breaker.failed()
    clock.now += 1
    assert breaker.allow()
    breaker.released()
    assert breaker.allow()


def test_backoff_is_jittered_under_an_exponential_ceiling() -> None:
    policy = FaultPolicy(retry_base_delay=0.1)
    delays = [policy.backoff(3) for _ in range(200)]
    assert all(0 <= d <= 0.4 for d in delays)
    assert len(set(delays)) > 100
