"""The official `@sync_only` behaviour: a blocking SDK method called from a thread that runs an
asyncio loop logs a WARNING naming its `_async` twin (with the caller's stack) and still runs; it
never raises. Notebooks are exempt: their cells always run inside a loop."""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tinkex._runtime._observe import logger

__all__ = ["sync_only", "warn_if_in_event_loop"]

P = ParamSpec("P")
R = TypeVar("R")

# Depth of sync_only calls on this thread: a blocking method that itself blocks on a future (e.g.
# save_weights_and_get_sampling_client -> result()) warns once, for the method the user called.
_state = threading.local()

# IPython shells whose cells run inside an event loop (Jupyter kernels, the official client's list).
_NOTEBOOK_SHELLS = frozenset({"ZMQInteractiveShell", "Shell"})


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()
    except Exception:
        return False
    return type(shell).__name__ in _NOTEBOOK_SHELLS


def warn_if_in_event_loop(method: str, alternative: str | None = None) -> None:
    """Log the warning if the calling thread runs an event loop (outside SDK-internal nesting).

    Example::

        warn_if_in_event_loop("TrainingClient.get_info")   # names TrainingClient.get_info_async()
    """
    if getattr(_state, "depth", 0):
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    if _in_notebook():
        return
    logger.warning(
        "Synchronous method '%s()' called from async context; it blocks the event loop until it "
        "finishes. Use '%s' instead.",
        method,
        alternative or f"await {method}_async()",
        stack_info=True,
        stacklevel=3,
    )


def sync_only(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark a blocking method: calling it inside a running event loop logs a warning naming
    `<method>_async`; the call itself is unchanged."""
    method = fn.__qualname__

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        warn_if_in_event_loop(method)
        _state.depth = getattr(_state, "depth", 0) + 1
        try:
            return fn(*args, **kwargs)
        finally:
            _state.depth -= 1

    return wrapper
