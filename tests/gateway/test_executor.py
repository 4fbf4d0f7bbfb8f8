"""The executor on its own, with an in-process transport: which requests it sends, that
reads of a mutation are never shared with other clients' identical reads, and that only
queries (never the mutation itself) may be retried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.executor import Executor
from gateway.pipeline import Gateway
from gateway.transport import SubgraphResponse

_SUPERGRAPH = (Path(__file__).parent / "fixtures" / "operations" / "supergraph.graphql").read_text()


class _RecordingTransport:
    """Answers every request with an empty result and records how it was asked."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []
        self.retried: list[tuple[str, bool]] = []

    async def send(
        self,
        service_name: str,
        url: str,
        body: dict[str, Any],
        headers: Any = None,
        *,
        deduplicate: bool = False,
        authorization: Any = None,
        share_key: str | None = None,
        retry: bool = False,
    ) -> SubgraphResponse:
        self.sent.append((body["query"].split("(")[0].split(" ")[0], deduplicate))
        self.retried.append((body["query"].split("(")[0].split(" ")[0], retry))
        if "_entities" in body["query"]:
            count = len(body["variables"]["representations"])
            return SubgraphResponse({"_entities": [{} for _ in range(count)]}, [])
        return SubgraphResponse({"first": {"__typename": "Item", "id": "1"}}, [])


async def _transport_after(query: str) -> _RecordingTransport:
    gateway = Gateway(_SUPERGRAPH)
    transport = _RecordingTransport()
    gateway.executor = Executor(transport)  # type: ignore[arg-type]
    await gateway.execute(gateway.prepare(query, None), {}, {})
    return transport


async def _run(query: str) -> list[tuple[str, bool]]:
    return (await _transport_after(query)).sent


async def test_reads_after_a_mutation_are_not_shared() -> None:
    sent = await _run('mutation { first: addItem(name: "x") { id name stars } }')
    assert sent[0] == ("mutation", False)
    assert sent[1:] and all(not shared for _, shared in sent[1:])


async def test_reads_of_a_query_may_be_shared() -> None:
    sent = await _run('{ first: item(id: "1") { id name stars } }')
    assert sent and all(shared for _, shared in sent)


async def test_a_mutation_is_sent_without_retries_and_the_reads_after_it_with() -> None:
    transport = await _transport_after('mutation { first: addItem(name: "x") { id name stars } }')
    assert transport.retried[0] == ("mutation", False)
    assert transport.retried[1:] and all(retry for _, retry in transport.retried[1:])
