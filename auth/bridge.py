"""Authlib's grants are synchronous; our stores are async. The adapter runs each authlib call
in a worker thread (`run_authlib`) and the hooks it calls come back to the event loop for
their I/O (`wait_for`). One thread hop per OAuth request; the event loop never blocks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import anyio.from_thread
import anyio.to_thread

T = TypeVar("T")
P = ParamSpec("P")


def wait_for(awaitable: Awaitable[T]) -> T:
    """From an authlib hook (worker thread): run a coroutine on the loop and wait for it."""

    async def run() -> T:
        return await awaitable

    return anyio.from_thread.run(run)


async def run_authlib(function: Callable[..., T], *args: object) -> T:
    return await anyio.to_thread.run_sync(function, *args)
