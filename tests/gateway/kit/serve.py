"""Serve an ASGI app with uvicorn on 127.0.0.1 in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import uvicorn

T = TypeVar("T")


class ServerThread:
    """One uvicorn server on its own thread and event loop.

    The port is chosen by the OS on the first start and kept across stop()/start(), so a
    test can take a server down (port closed) and bring it back at the same address.
    """

    def __init__(self, app: Any, *, lifespan: str = "off") -> None:
        self.app = app
        self.lifespan = lifespan
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert not self.running, "server already running"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan=self.lifespan,
            timeout_graceful_shutdown=1,
            # As `python -m gateway` serves: X-Forwarded-For is the app's to trust or not.
            proxy_headers=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self._run,
            args=(server, sock),
            name=f"uvicorn:{self.port}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        # The event loop uvicorn itself would choose (uvloop where installed): served by
        # asyncio's default loop, every answer after a connection's first waited ~40 ms
        # (delayed ACKs), which no real deployment sees.
        with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
            runner.run(self._serve(server, sock))

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        await server.serve(sockets=[sock])

    def call(self, function: Callable[[], Awaitable[T]], timeout: float = 10) -> T:
        """Run `function()` in the server's event loop and wait for its result (to look at
        the app's state from where it lives)."""
        assert self._loop is not None and self.running, "server not running"
        future = asyncio.run_coroutine_threadsafe(function(), self._loop)  # type: ignore[arg-type]
        return future.result(timeout)

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._server = self._thread = None
