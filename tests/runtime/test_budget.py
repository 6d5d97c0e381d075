"""The sampling byte budget: requests are admitted in arrival order, so a large prompt cannot be
starved by a steady stream of small ones, and a cancelled waiter gives its place back."""

from __future__ import annotations

import asyncio

from tinkex._runtime._core import BytesBudget


async def _hold(budget: BytesBudget, n: int, name: str, log: list[str], release: asyncio.Event) -> None:
    async with budget.hold(n):
        log.append(name)
        await release.wait()


async def test_a_large_request_is_not_starved_by_small_ones() -> None:
    budget = BytesBudget(10)
    log: list[str] = []
    gates = {name: asyncio.Event() for name in ("a", "large", "s1", "s2")}
    a = asyncio.create_task(_hold(budget, 6, "a", log, gates["a"]))
    await asyncio.sleep(0)
    large = asyncio.create_task(_hold(budget, 10, "large", log, gates["large"]))
    await asyncio.sleep(0)
    s1 = asyncio.create_task(_hold(budget, 1, "s1", log, gates["s1"]))
    s2 = asyncio.create_task(_hold(budget, 1, "s2", log, gates["s2"]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["a"]  # the small ones queue behind the large one although they would fit
    gates["a"].set()
    await asyncio.wait_for(a, 1)
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["a", "large"]
    gates["large"].set()
    gates["s1"].set()
    gates["s2"].set()
    await asyncio.wait_for(asyncio.gather(large, s1, s2), 1)
    assert log == ["a", "large", "s1", "s2"]
    assert budget.used == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    budget = BytesBudget(10)
    log: list[str] = []
    gates = {name: asyncio.Event() for name in ("a", "large", "small")}
    a = asyncio.create_task(_hold(budget, 6, "a", log, gates["a"]))
    await asyncio.sleep(0)
    large = asyncio.create_task(_hold(budget, 10, "large", log, gates["large"]))
    small = asyncio.create_task(_hold(budget, 2, "small", log, gates["small"]))
    for _ in range(3):
        await asyncio.sleep(0)
    large.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["a", "small"]  # fits beside a once the large one left the queue
    gates["a"].set()
    gates["small"].set()
    await asyncio.wait_for(asyncio.gather(a, small), 1)
    assert budget.used == 0
