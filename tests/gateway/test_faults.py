"""Faults over real HTTP: a subgraph that is down, killed mid-load, too slow, answering invalid
JSON or HTTP 500, or dropping connections. The gateway answers 200 with the rest of the data
and errors at the field the failed fetch was to provide; it retries queries (never mutations)
on failures that mean the request was not processed; after a run of failures a subgraph's
circuit opens and its fetches fail at once, and within a second of its return full answers
come back. No fault leaves a subgraph connection held or an asyncio task behind
(fixtures/partial_failure)."""

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.gateway.kit.federation import Federation, GatewayClient
from tests.gateway.kit.subgraph import Fault

TOPIC = "partial_failure"
TIMEOUT = 0.5
FAILURES_TO_OPEN = 3
GATEWAY_SETTINGS = {
    "subgraph_timeouts": {"reviews": TIMEOUT},
    "circuit_breaker_failures": FAILURES_TO_OPEN,
    # The gateway's own failure messages are read (production shows only their codes).
    "mask_subgraph_errors": False,
}
ME = "{ me { name reviews { body } balance } }"
FULL_ME = {"me": {"name": "Ada", "reviews": [{"body": "great"}], "balance": 10}}
PARTIAL_ME = {"me": {"name": "Ada", "reviews": None, "balance": 10}}


def _gateway_state(fed: Federation) -> tuple[int, int]:
    """(subgraph connections in use, asyncio tasks) in the gateway's event loop."""
    assert fed.server is not None

    async def look() -> tuple[int, int]:
        transport = fed.server.app.state.gateway.transport  # type: ignore[union-attr]
        return len(transport.session.connector._acquired), len(asyncio.all_tasks())

    return fed.server.call(look)


@pytest.fixture(autouse=True)
def no_leaks(fed: Federation) -> Iterator[None]:
    """Every test starts with closed circuits and must end with no subgraph connection held
    and no more tasks than before it (a leaked fetch would hold both)."""
    assert fed.server is not None
    fed.server.call(_close_circuits(fed))
    _, tasks_before = _gateway_state(fed)
    yield
    deadline = time.monotonic() + 5
    while (state := _gateway_state(fed)) != (0, tasks_before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state == (0, tasks_before), "(connections in use, tasks) after the test"


def _close_circuits(fed: Federation) -> Callable[[], Any]:
    async def close() -> None:
        fed.server.app.state.gateway.transport.guards.clear()  # type: ignore[union-attr]

    return close


def _down(fed: Federation) -> None:
    fed.subgraphs["reviews"].stop()


def _fault(fault: Fault) -> Callable[[Federation], None]:
    def apply(fed: Federation) -> None:
        fed.subgraphs["reviews"].fault = fault

    return apply


FAULTS = {
    "down": (_down, "SUBREQUEST_HTTP_ERROR"),
    "too_slow": (_fault(Fault.slow(TIMEOUT * 4)), "SUBREQUEST_TIMEOUT"),
    "invalid_json": (_fault(Fault.garbage()), "SUBREQUEST_MALFORMED_RESPONSE"),
    "http_500": (_fault(Fault.http(500, b"oops")), "SUBREQUEST_HTTP_ERROR"),
    "closes_connection": (_fault(Fault.disconnected()), "SUBREQUEST_HTTP_ERROR"),
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_failed_entity_fetch_gives_partial_data_and_an_error_at_the_field_it_was_to_provide(
    gw: GatewayClient, fed: Federation, fault: str
) -> None:
    apply, code = FAULTS[fault]
    apply(fed)
    started = time.monotonic()
    status, body = await gw.query(ME)
    assert time.monotonic() - started < TIMEOUT * 3, "the timeout bounds the wait"
    assert status == 200
    assert body["data"] == PARTIAL_ME
    assert [e["path"] for e in body["errors"]] == [["me", "reviews"]]
    (error,) = body["errors"]
    assert error["extensions"] == {**error["extensions"], "code": code, "serviceName": "reviews"}


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_failed_root_fetch_gives_an_error_at_its_field(
    gw: GatewayClient, fed: Federation, fault: str
) -> None:
    apply, code = FAULTS[fault]
    apply(fed)
    status, body = await gw.query("{ latestReviews { body } users { name } }")
    assert status == 200
    assert body["data"] == {"latestReviews": None, "users": [{"name": "Ada"}, {"name": "Bob"}]}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["latestReviews"], code)
    ]


async def test_a_query_is_retried_after_a_503_and_answers_in_full(
    gw: GatewayClient, fed: Federation
) -> None:
    fed.subgraphs["reviews"].fault = Fault.http(503, times=1)
    status, body = await gw.query("{ latestReviews { body } }")
    assert (status, body) == (200, {"data": {"latestReviews": [{"body": "great"}]}})
    assert len(fed.subgraphs["reviews"].requests) == 2


async def test_a_query_is_retried_after_a_dropped_connection(
    gw: GatewayClient, fed: Federation
) -> None:
    fed.subgraphs["reviews"].fault = Fault.disconnected(times=1)
    status, body = await gw.query(ME)
    assert (status, body) == (200, {"data": FULL_ME})


async def test_a_mutation_is_never_retried(gw: GatewayClient, fed: Federation) -> None:
    fed.subgraphs["reviews"].fault = Fault.http(503, times=1)
    status, body = await gw.query('mutation { addReview(body: "hi") { body } }')
    assert status == 200
    assert body["data"] == {"addReview": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["addReview"], "SUBREQUEST_HTTP_ERROR")
    ]
    assert len(fed.subgraphs["reviews"].requests) == 1


async def test_a_timeout_is_not_retried(gw: GatewayClient, fed: Federation) -> None:
    fed.subgraphs["reviews"].fault = Fault.slow(TIMEOUT * 4)
    status, body = await gw.query("{ latestReviews { body } }")
    assert (status, body["data"]) == (200, {"latestReviews": None})
    assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_TIMEOUT"
    assert len(fed.subgraphs["reviews"].requests) == 1


async def test_an_open_circuit_fails_fast_without_calling_the_subgraph(
    gw: GatewayClient, fed: Federation
) -> None:
    reviews = fed.subgraphs["reviews"]
    reviews.fault = Fault.slow(TIMEOUT * 6)
    for _ in range(FAILURES_TO_OPEN):
        _, body = await gw.query(ME)
        assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_TIMEOUT"
    seen = len(reviews.requests)

    async def timed(n: int) -> tuple[float, Any]:
        started = time.monotonic()
        # Aliased apart: identical fetches would share one request, the probe's.
        status, body = await gw.query(f"{{ me {{ name r{n}: reviews {{ body }} balance }} }}")
        assert status == 200
        return time.monotonic() - started, body

    # At once: should the cool-down have passed meanwhile, one of them is the probe (which
    # waits for the subgraph); the others fail fast.
    answers = await asyncio.gather(*(timed(n) for n in range(4)))
    fast = [(n, body) for n, (seconds, body) in enumerate(answers) if seconds < TIMEOUT]
    assert len(fast) >= 3, "answered without waiting for the timeout"
    for n, body in fast:
        assert body["data"] == {"me": {"name": "Ada", f"r{n}": None, "balance": 10}}
        (error,) = body["errors"]
        assert error["path"] == ["me", f"r{n}"]
        assert error["extensions"]["code"] == "SUBREQUEST_CIRCUIT_OPEN"
        assert "unavailable" in error["message"]
    assert len(reviews.requests) <= seen + 1, "at most one probe reached the subgraph"
    reviews.fault = None
    await _until_full(gw, seconds=3)


async def _until_full(gw: GatewayClient, seconds: float) -> float:
    """Query until the answer is complete; return how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        status, body = await gw.query(ME)
        assert status == 200
        if body == {"data": FULL_ME}:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"no full answer within {seconds}s")


async def test_full_answers_return_within_a_second_of_the_subgraphs_return(
    gw: GatewayClient, fed: Federation
) -> None:
    reviews = fed.subgraphs["reviews"]
    reviews.stop()
    codes = []
    # Until the circuit is seen open (a request arriving after the cool-down is the probe,
    # answered with the refused connection's error).
    while "SUBREQUEST_CIRCUIT_OPEN" not in codes and len(codes) < 20:
        _, body = await gw.query(ME)
        codes.append(body["errors"][0]["extensions"]["code"])
    assert codes[-1] == "SUBREQUEST_CIRCUIT_OPEN", codes
    await asyncio.to_thread(reviews.start)
    assert await _until_full(gw, seconds=5) < 1.0


async def test_a_subgraph_killed_mid_load_gives_partial_data_and_never_a_5xx(
    gw: GatewayClient, fed: Federation
) -> None:
    answers: list[tuple[int, Any]] = []
    stop = asyncio.Event()

    async def client(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            response = await http.post(gw.url, json={"query": ME})
            answers.append((response.status_code, response.json()))

    async with httpx.AsyncClient(timeout=30) as http:
        clients = [asyncio.create_task(client(http)) for _ in range(8)]
        await asyncio.sleep(0.5)
        killed_at = len(answers)
        await asyncio.to_thread(fed.subgraphs["reviews"].stop)
        await asyncio.sleep(1.0)
        restarted_at = len(answers)
        await asyncio.to_thread(fed.subgraphs["reviews"].start)
        await asyncio.sleep(1.5)
        stop.set()
        await asyncio.gather(*clients)

    assert {status for status, _ in answers} == {200}
    for _, body in answers:
        if body != {"data": FULL_ME}:
            assert body["data"] == PARTIAL_ME
            assert {tuple(e["path"]) for e in body["errors"]} == {("me", "reviews")}
    assert killed_at > 0 and all(body == {"data": FULL_ME} for _, body in answers[:killed_at])
    assert any(body != {"data": FULL_ME} for _, body in answers[killed_at:restarted_at])
    codes = {e["extensions"]["code"] for _, b in answers for e in b.get("errors", ())}
    assert "SUBREQUEST_CIRCUIT_OPEN" in codes, "the circuit opened under load"
    assert answers[-1][1] == {"data": FULL_ME}, "full answers again after the return"
