from __future__ import annotations

import asyncio

from subgraphs.common.batching import group_by, loader, one_by


def test_group_by_and_one_by_keep_key_order() -> None:
    rows = [("b", 1), ("a", 2), ("b", 3)]
    assert group_by(["a", "b", "c"], rows, lambda r: r[0]) == [[("a", 2)], [("b", 1), ("b", 3)], []]
    assert one_by(["c", "a"], rows, lambda r: r[0]) == [None, ("a", 2)]


async def test_loads_in_one_tick_are_one_batch() -> None:
    batches: list[list[str]] = []

    async def load_many(keys: list[str]) -> list[str]:
        batches.append(keys)
        return [key.upper() for key in keys]

    batched = loader(load_many)
    results = await asyncio.gather(*(batched.load(key) for key in ("a", "b", "a", "c")))
    assert results == ["A", "B", "A", "C"]
    assert batches == [["a", "b", "c"]]
