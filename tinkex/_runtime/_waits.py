"""Every deliberate wait of the SDK (retry backoff, poll backoff, sampling pauses) goes through
`sleep`, so tests can zero them all with `zero_waits()` (the stamina-style testing switch)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["is_zeroed", "set_zero_waits", "sleep", "zero_waits"]

_zeroed = False


def set_zero_waits(on: bool) -> None:
    """Turn the switch on or off process-wide (tests; a fixture resets it)."""
    global _zeroed
    _zeroed = on


def is_zeroed() -> bool:
    return _zeroed


@contextlib.contextmanager
def zero_waits() -> Iterator[None]:
    """Within the block every backoff and pause of the SDK is skipped (still yields to the loop).

    Example::

        with zero_waits():
            fut.result(timeout=5)
    """
    previous = _zeroed
    set_zero_waits(True)
    try:
        yield
    finally:
        set_zero_waits(previous)


async def sleep(seconds: float) -> None:
    await asyncio.sleep(0 if _zeroed else max(0.0, seconds))
