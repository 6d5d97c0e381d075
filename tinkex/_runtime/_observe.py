"""SDK events (requests, retries, queue states, future completions, heartbeats, sessions) delivered
to user hooks and to stdlib logging under the `tinkex` logger. A hook that raises never breaks a call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

__all__ = [
    "ENV_LOG",
    "EVENT_KINDS",
    "EventHook",
    "EventKind",
    "Observer",
    "SDKEvent",
    "configure_logging_from_env",
    "logger",
]

logger = logging.getLogger("tinkex")

# TINKER_LOG=debug|info|warning|error (the official SDK's variable) turns on the `tinkex` logger.
ENV_LOG = "TINKER_LOG"
_LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def configure_logging_from_env(env: Mapping[str, str] | None = None) -> int | None:
    """Apply TINKER_LOG: set the `tinkex` logger's level and, unless logging is configured already
    (a handler on `tinkex` or the root logger), add one writing to stderr. Returns the level set, or None when TINKER_LOG is unset or
    not a level name (then logging is left exactly as the application configured it).

    At DEBUG every HTTP exchange is one line (``POST /api/v1/asample -> 200 in 3.1 ms
    request_id=...``); INFO adds nothing per request; WARNING shows retries given up, lost sessions,
    paused sampling and breakers opening. Secrets never appear: messages are redacted at the source.

    Example::

        >>> configure_logging_from_env({"TINKER_LOG": "nonsense"}) is None
        True
    """
    import os

    raw = (os.environ if env is None else env).get(ENV_LOG, "").strip().lower()
    level = _LOG_LEVELS.get(raw)
    if level is None:
        return None
    logger.setLevel(level)
    # hasHandlers() also sees the root logger's: an application that configured logging keeps its
    # own output (no line printed twice).
    if not logger.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    return level


EventKind = Literal["request", "retry", "queue_state", "future_done", "heartbeat", "session", "recovery"]
EVENT_KINDS: frozenset[str] = frozenset(
    {"request", "retry", "queue_state", "future_done", "heartbeat", "session", "recovery"}
)


@attrs.frozen
class SDKEvent:
    """One thing the SDK did, as passed to event hooks.

    `kind` is one of request, retry, queue_state, future_done, heartbeat, session, recovery; `operation` the
    endpoint or client operation (e.g. "forward_backward"); `attributes` holds facts such as
    status, attempt, duration_s, delay_s, queue_state, request_id, error_type. Never any secret.

    Example::

        def hook(event: tinkex.SDKEvent) -> None:
            if event.kind == "retry":
                print(event.operation, event.attributes["delay_s"])

        client = tinkex.ServiceClient(event_hooks=[hook])
    """

    kind: str
    operation: str
    attributes: Mapping[str, Any] = attrs.field(factory=dict)
    timestamp: float = attrs.field(factory=time.time)


EventHook = Callable[[SDKEvent], None]


class Observer:
    """Fans events out to hooks (called on the SDK thread; keep them quick) and to the log."""

    def __init__(self, hooks: Iterable[EventHook] = ()) -> None:
        self._hooks: list[EventHook] = list(hooks)
        self._lock = threading.Lock()

    def add_hook(self, hook: EventHook) -> None:
        with self._lock:
            self._hooks.append(hook)

    def remove_hook(self, hook: EventHook) -> None:
        with self._lock:
            if hook in self._hooks:
                self._hooks.remove(hook)

    def emit(self, kind: EventKind, operation: str, **attributes: Any) -> None:
        # Requests are logged by the Requester as one readable line per exchange.
        if kind != "request" and logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s %s", kind, operation, attributes)
        if not self._hooks:  # the common case: no event object for nobody (two per sample call)
            return
        event = SDKEvent(kind, operation, attributes)
        with self._lock:
            hooks = tuple(self._hooks)
        for hook in hooks:
            try:
                hook(event)
            except Exception:  # a broken hook must not break the SDK call
                logger.warning("tinkex event hook %r raised; ignoring it", hook, exc_info=True)
