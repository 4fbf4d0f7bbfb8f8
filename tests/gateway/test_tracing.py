"""Tracing: the request span continues the client's trace, each subgraph fetch is a child
span, and each subgraph receives the trace context of its own fetch (fixtures/operations)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway import tracing
from tests.gateway.kit.federation import REFERENCE, Federation, GatewayClient

TOPIC = "operations"
QUERY = '{ item(id: "1") { name stars } }'
CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"

if REFERENCE:
    pytest.skip("the spans are this gateway's", allow_module_level=True)

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _recording() -> Iterator[None]:
    # OpenTelemetry takes one global provider per process: it stays installed, but the
    # gateway goes back to not tracing once this module is done.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    tracing.use_provider(provider)
    yield
    tracing.enabled = False


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    _EXPORTER.clear()
    yield


async def test_spans_continue_the_client_trace_down_to_the_subgraphs(
    gw: GatewayClient, fed: Federation
) -> None:
    status, body = await gw.query(
        QUERY, headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"}
    )
    assert status == 200 and "errors" not in body
    spans = {span.name: span for span in _EXPORTER.get_finished_spans()}
    request = spans["graphql.request"]
    assert f"{request.context.trace_id:032x}" == CLIENT_TRACE
    assert request.parent is not None and f"{request.parent.span_id:016x}" == CLIENT_SPAN
    assert request.attributes is not None
    assert request.attributes["graphql.operation.type"] == "query"

    fetches = [span for name, span in spans.items() if name.startswith("subgraph ")]
    assert {span.attributes["graphql.federation.subgraph.name"] for span in fetches} == {
        "store",
        "ratings",
    }
    for span in fetches:
        assert span.parent is not None and span.parent.span_id == request.context.span_id
        service = span.attributes["graphql.federation.subgraph.name"]
        (headers,) = fed.subgraphs[service].headers
        version, trace_id, parent_id, _ = headers["traceparent"].split("-")
        assert (version, trace_id) == ("00", CLIENT_TRACE)
        assert parent_id == f"{span.context.span_id:016x}"


async def test_a_request_without_trace_context_starts_a_trace(
    gw: GatewayClient, fed: Federation
) -> None:
    status, _ = await gw.query(QUERY)
    assert status == 200
    request = next(s for s in _EXPORTER.get_finished_spans() if s.name == "graphql.request")
    assert request.parent is None
    for subgraph in fed.subgraphs.values():
        for headers in subgraph.headers:
            assert headers["traceparent"].split("-")[1] == f"{request.context.trace_id:032x}"
