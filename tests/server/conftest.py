"""Fixtures of the server tests (helpers live in server_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import FakeClock, Harness


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def harness_factory(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**config: Any) -> Harness:
        h = Harness(tmp_path / "data", clock, **config)
        made.append(h)
        return h

    yield make
    for h in made:
        h.core.close()


@pytest.fixture
async def h(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path / "data", clock)
    yield harness
    await harness.close()
