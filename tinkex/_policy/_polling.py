"""Classify one retrieve_future reply, the poll backoff, and the once-a-minute queue-state log throttle.

The I/O loop in `tinkex._runtime._futures` only acts on the outcome returned here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "QUEUE_STATES",
    "Done",
    "Expired",
    "Failed",
    "Fatal",
    "Pending",
    "PollOutcome",
    "QueueStateThrottle",
    "Transient",
    "classify_poll_reply",
    "poll_backoff",
]

# The values the server sends in `queue_state`; anything else is reported as "unknown".
QUEUE_STATES = frozenset({"active", "paused_rate_limit", "paused_capacity"})


@attrs.frozen
class Done:
    """The future finished; `result` is the decoded JSON body."""

    result: Mapping[str, Any]


@attrs.frozen
class Pending:
    """Still running (HTTP 408 or 200 try_again): poll again at once."""

    queue_state: str | None = None
    queue_state_reason: str | None = None


@attrs.frozen
class Failed:
    """The request failed on the server (200 with an `error` key); never retried."""

    message: str
    category: str  # "user" | "server" | "unknown"


@attrs.frozen
class Expired:
    """HTTP 410: the server no longer holds the promise; resubmit if that is safe."""

    body: object = None


@attrs.frozen
class Transient:
    """5xx, 429 or a connection error: back off (see `poll_backoff`) and poll again."""

    reason: str
    status: int | None = None


@attrs.frozen
class Fatal:
    """Any other status, or a 200 body that is not a JSON object: stop and raise."""

    status: int
    body: object = None


PollOutcome = Done | Pending | Failed | Expired | Transient | Fatal


def _queue_state(body: object) -> tuple[str | None, str | None]:
    if not isinstance(body, Mapping):
        return None, None
    state = body.get("queue_state")
    reason = body.get("queue_state_reason")
    state_s = None if state is None else (str(state) if str(state) in QUEUE_STATES else "unknown")
    return state_s, None if reason is None else str(reason)


def classify_poll_reply(status: int | None, body: object) -> PollOutcome:
    """Map a retrieve_future reply to what the poller does next; `status=None` is a connection error.

    200 `{"type": "try_again"}` and 408 are Pending (with the queue state, if any); 200 with an
    `error` key is Failed with its category (unknown when missing or invalid); any other 200 JSON
    object is Done; 410 is Expired; 5xx, 429 and connection errors are Transient; the rest Fatal.
    429 is Transient rather than fatal (as in 0.7.0) so a server can slow pollers down; later
    official SDKs made the same change.

    >>> classify_poll_reply(200, {"type": "try_again", "queue_state": "paused_capacity"})
    Pending(queue_state='paused_capacity', queue_state_reason=None)
    >>> classify_poll_reply(200, {"error": "bad", "category": "user"})
    Failed(message='bad', category='user')
    >>> classify_poll_reply(410, None)
    Expired(body=None)
    """
    if status is None:
        return Transient("connection error")
    if status == 200 or 200 <= status < 300:
        if not isinstance(body, Mapping):
            return Fatal(status, body)
        if body.get("type") == "try_again":
            return Pending(*_queue_state(body))
        if "error" in body:
            category = str(body.get("category") or "unknown").lower()
            if category not in ("user", "server", "unknown"):
                category = "unknown"
            return Failed(str(body.get("error")), category)
        return Done(body)
    if status == 408:
        return Pending(*_queue_state(body))
    if status == 410:
        return Expired(body)
    if status == 429 or status >= 500:
        return Transient(f"HTTP {status}", status)
    return Fatal(status, body)


def poll_backoff(consecutive_failures: int, *, first: float = 1.0, cap: float = 30.0) -> float:
    """Seconds before re-polling after the n-th consecutive transient failure (1-based): 1, 2, 4 ... 30.

    >>> [poll_backoff(n) for n in (1, 2, 3, 6, 9)]
    [1.0, 2.0, 4.0, 30.0, 30.0]
    """
    n = max(1, consecutive_failures)
    return float(min(first * 2.0 ** min(n - 1, 62), cap))


@attrs.define
class QueueStateThrottle:
    """Lets a queue-state line through at most once per `interval` seconds; `active` never logs.

    >>> t = QueueStateThrottle(interval=60.0)
    >>> [t.should_log("paused_capacity", now) for now in (0.0, 30.0, 61.0)]
    [True, False, True]
    """

    interval: float = 60.0
    _last: float | None = None

    def should_log(self, queue_state: str | None, now: float) -> bool:
        if queue_state is None or queue_state == "active":
            return False
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True
