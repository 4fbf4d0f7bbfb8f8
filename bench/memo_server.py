"""A minimal HTTP/1.1 server that answers each distinct request body from a memo.

On two cores the subgraphs share a core with the load generator, so they must cost next to
nothing: a request is parsed by httptools, its body looked up in a dict and the stored response
bytes written back. Only the first request with a given body runs GraphQL (subgraphs.py).
`GET /stats` answers the request counts (the runner reports subgraph requests per gateway
request); `GET` on any other path answers 200 (health). One process serves all four
subgraphs, one port each.

A body seen for the first time is looked up once more without its operation name (gateways
derive subgraph operation names from the client's): the planning micro-benchmarks send the
same document under many operation names to get cold plans, and should not measure the
subgraphs running GraphQL for each of them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import cast

import httptools
import orjson

_MEMO_LIMIT = 100_000
_HEALTH = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 11\r\n\r\nbad request"
)


_OPERATION_NAME = re.compile(r"^(\s*(?:query|mutation|subscription))\s+[_A-Za-z][_0-9A-Za-z]*")


def anonymous(body: bytes) -> bytes:
    """The request body without its operation name: the key of the second-level memo."""
    try:
        request = orjson.loads(body)
        query = request["query"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return body
    if not isinstance(query, str):
        return body
    request.pop("operationName", None)
    request["query"] = _OPERATION_NAME.sub(r"\1", query, count=1)
    return orjson.dumps(request, option=orjson.OPT_SORT_KEYS)


class Memo:
    """Response bytes by request body, computed once by `respond`."""

    def __init__(self, respond: Callable[[bytes], bytes]) -> None:
        self._respond = respond
        self._responses: dict[bytes, bytes] = {}
        self._by_anonymous: dict[bytes, bytes] = {}
        self.hits = 0
        self.misses = 0

    def response(self, body: bytes) -> bytes:
        response = self._responses.get(body)
        if response is not None:
            self.hits += 1
            return response
        if len(self._responses) >= _MEMO_LIMIT:
            self._responses.clear()
            self._by_anonymous.clear()
        key = anonymous(body)
        response = self._by_anonymous.get(key)
        if response is None:
            self.misses += 1
            response = self._render(body)
            self._by_anonymous[key] = response
        self._responses[body] = response
        return response

    def _render(self, body: bytes) -> bytes:
        payload = self._respond(body)
        return (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(payload)).encode()
            + b"\r\n\r\n"
            + payload
        )


class _Connection(asyncio.Protocol):
    def __init__(self, memo: Memo) -> None:
        self._memo = memo
        self._parser = httptools.HttpRequestParser(self)
        self._body: list[bytes] = []
        self._url = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            assert self._transport is not None
            self._transport.write(_BAD_REQUEST)
            self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._body.clear()
        self._url = b""

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        transport = self._transport
        assert transport is not None
        if self._parser.get_method() == b"POST":
            transport.write(self._memo.response(b"".join(self._body)))
        elif self._url == b"/stats":
            stats = orjson.dumps({"hits": self._memo.hits, "misses": self._memo.misses})
            transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(stats)).encode()
                + b"\r\n\r\n"
                + stats
            )
        else:
            transport.write(_HEALTH)
        if not self._parser.should_keep_alive():
            transport.close()


async def serve(memos: dict[int, Memo], host: str) -> list[asyncio.Server]:
    """Listen on every port of `memos`; the caller keeps the loop running."""
    loop = asyncio.get_running_loop()
    servers = []
    for port, memo in memos.items():
        server = await loop.create_server(
            lambda memo=memo: _Connection(memo),  # type: ignore[misc]
            host,
            port,
            reuse_address=True,
            backlog=1024,
        )
        servers.append(server)
    return servers
