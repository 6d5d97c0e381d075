"""Classify one retrieve_future reply, the poll backoff, and the once-a-minute queue-state log throttle.

The I/O loop in `tinkex._runtime._futures` only acts on the outcome returned here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tinkex._policy._retry import backoff_delay, retry_decision

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
    "connection_error_budget",
    "expired_hint",
    "poll_backoff",
    "resubmit_is_safe",
    "unreachable_delay",
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
    """HTTP 410: the server no longer holds the promise (see `expired_hint` for what to do)."""

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


# Request types whose repetition changes nothing on the server: resubmitting them after a 410 is safe.
_SIDE_EFFECT_FREE = frozenset({"Sample", "Forward"})


def resubmit_is_safe(request_type: str) -> bool:
    """Whether a request of `request_type` whose result expired (410) may be submitted again.

    >>> resubmit_is_safe("Sample"), resubmit_is_safe("OptimStep")
    (True, False)
    """
    return request_type in _SIDE_EFFECT_FREE


def expired_hint(request_type: str) -> str:
    """What a 410 on a future of `request_type` means for the caller, and what to do next.

    The server answered the submission with a request id, so it accepted the request: a training
    step may have been applied even though its result is gone, and sending it again could apply it
    twice (a duplicate optimizer step).

    >>> expired_hint("Sample")
    'the server no longer holds this result; this request changes nothing, so submitting it again is safe'
    >>> "do not submit it again" in expired_hint("OptimStep")
    True
    """
    if resubmit_is_safe(request_type):
        return "the server no longer holds this result; this request changes nothing, so submitting it again is safe"
    if request_type == "CreateModel":
        return (
            "the server no longer holds this result, so the new model's id is unknown; the SDK asked the "
            "server to unload any model it created - create the training client again"
        )
    return (
        "the server accepted this request and may have applied it, but no longer holds its result; "
        "do not submit it again (that could apply it twice) - check the run's state first, e.g. "
        "RestClient.get_training_run(<model_id>) or a saved checkpoint, and continue from there"
    )


def connection_error_budget(*, max_retries: int, base: float, max_delay: float) -> float:
    """Seconds of consecutive connection errors a call tolerates: the sum of the nominal backoff
    delays of its `max_retries` retries (65.5 s with the default RetryConfig: 0.5+1+2+4+8+10*5).
    A new call and a poll of an in-flight future give up on an unreachable server alike.

    >>> connection_error_budget(max_retries=10, base=0.5, max_delay=10.0)
    65.5
    """
    return float(sum(min(base * 2.0 ** min(i, 62), max_delay) for i in range(max_retries)))


def unreachable_delay(
    consecutive: int,
    *,
    max_retries: int,
    enabled: bool = True,
    base: float,
    max_delay: float,
    jitter: float,
    rand: Callable[[], float],
) -> float | None:
    """After the `consecutive`-th connection error in a row (1-based) while polling a future: the
    seconds to wait before the next poll, or None to give up (the server is unreachable). The same
    count and delays as a new request's retries (`retry_decision` / `backoff_delay`), so an in-flight
    future fails within the same connection-error budget as a new call, without a caller's timeout.

    >>> [unreachable_delay(n, max_retries=2, base=0.5, max_delay=10.0, jitter=0.0, rand=lambda: 0.5)
    ...  for n in (1, 2, 3)]
    [0.5, 1.0, None]
    """
    attempt = max(0, consecutive - 1)
    decision = retry_decision(
        status=None, connection_error=True, attempt=attempt, max_retries=max_retries if enabled else 0
    )
    if not decision.retry:
        return None
    return backoff_delay(attempt, base=base, max_delay=max_delay, jitter=jitter, rand=rand)
