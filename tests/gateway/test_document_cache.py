"""The document cache (gateway/pipeline.py) is bounded by estimated bytes: many large distinct
documents never take it over its budget, one huge document is answered but not cached (so a
small hot document survives it), and the normalised operations and plans cached per document
stop at `max_plans_per_document`."""

from pathlib import Path

import pytest

from gateway.operation import RequestError
from gateway.pipeline import Gateway
from gateway.settings import GatewaySettings

SUPERGRAPH = (
    Path(__file__).parent / "fixtures" / "partial_failure" / "supergraph.graphql"
).read_text()
BUDGET = 1024 * 1024  # the smallest the setting allows
HOT = "{ users { name } }"


def gateway(**settings: object) -> Gateway:
    return Gateway(SUPERGRAPH, GatewaySettings(document_cache_bytes=BUDGET, **settings))  # type: ignore[arg-type]


def large_document(n: int, aliases: int = 40) -> str:
    """A distinct valid document of about 2,000 characters."""
    fields = " ".join(f"user_{n}_{a}_with_a_long_alias: name" for a in range(aliases))
    return f"query Large{n} {{ users {{ {fields} }} }}"


def accounted(gw: Gateway) -> int:
    return sum(entry.bytes for entry in gw.documents.entries.values())


def test_many_large_documents_stay_within_the_byte_budget() -> None:
    gw = gateway()
    for n in range(200):
        gw.plan(gw.prepare(large_document(n), None), {})
        assert gw.documents.bytes <= BUDGET
        assert gw.documents.bytes == accounted(gw)
    assert 1 < len(gw.documents.items) < 200
    latest = large_document(199)
    assert gw.prepare(latest, None) is gw.prepare(latest, None)  # the newest is cached


def test_a_huge_document_is_answered_but_does_not_evict_a_hot_one() -> None:
    gw = gateway()
    hot = gw.prepare(HOT, None)
    huge = large_document(0, aliases=95)  # over a tenth of the budget, by the estimate
    first = gw.prepare(huge, None)
    assert gw.plan(first, {}).plan is not None  # served
    assert gw.prepare(huge, None) is not first  # not cached: prepared again
    assert gw.prepare(HOT, None) is hot
    assert len(gw.documents.items) == 1


def test_refused_documents_are_cached_and_accounted_too() -> None:
    gw = gateway()
    with pytest.raises(RequestError):
        gw.prepare("{ nope }", None)
    assert len(gw.documents.items) == 1
    assert gw.documents.bytes == accounted(gw) > 0


def test_plans_per_document_stop_at_the_cap_and_are_charged_to_it() -> None:
    gw = gateway(max_plans_per_document=4)
    query = (
        "query Q($a: Boolean!, $b: Boolean!, $c: Boolean!) "
        "{ users { name @include(if: $a) id @include(if: $b) reviews @include(if: $c) { body } } }"
    )
    prepared = gw.prepare(query, None)
    before = gw.documents.bytes
    for a in (True, False):
        for b in (True, False):
            for c in (True, False):
                planned = gw.plan(prepared, {"a": a, "b": b, "c": c})
                assert planned.operation.selection_set is not None  # planned all the same
    entry = gw.documents.entries[(query, None)]
    assert entry.plans == 4
    cached = len(prepared.by_conditions) + sum(
        len(n.plans) for n in prepared.by_conditions.values()
    )
    assert cached == 4
    assert gw.documents.bytes > before
    assert gw.documents.bytes == accounted(gw)


def test_a_cache_hit_returns_the_same_prepared_document() -> None:
    gw = gateway()
    prepared = gw.prepare(HOT, None)
    gw.plan(prepared, {})
    assert gw.prepare(HOT, None) is prepared
    assert gw.plan(prepared, {}) is gw.plan(prepared, {})
