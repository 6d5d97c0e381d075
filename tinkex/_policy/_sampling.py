"""Sampling back-pressure after a 429 on asample: how long the throttled request itself waits, and
the throttled window every other sample call of the session goes through meanwhile.

0.7.0 paused every sample call of the session for 1 s (5 s for a big prompt) after any 429, so one
rate-limit answer stalled a whole RL rollout. Here the 429'd request alone waits; the session keeps
sampling through a throttled window: at most THROTTLED_CONCURRENCY requests in flight and each
prompt costing THROTTLED_BYTE_FACTOR times its size in the byte budget (the numbers later official
SDKs and Elixir tinkex 0.4 use), for the wait plus THROTTLE_HOLD seconds, then the limits recover
linearly to normal over THROTTLE_RECOVER seconds. Another 429 restarts the window.
"""

from __future__ import annotations

import attrs

__all__ = [
    "LARGE_PROMPT_BYTES",
    "THROTTLED_BYTE_FACTOR",
    "THROTTLED_CONCURRENCY",
    "THROTTLE_HOLD",
    "THROTTLE_RECOVER",
    "ThrottleLimits",
    "ThrottleWindow",
    "sample_backoff_seconds",
    "throttle_after_429",
    "throttle_limits",
]

# 0.7.0: after a 429 the session's sampling pauses 1 s, or 5 s when the prompt is over 128 KiB
# (estimated at 10 bytes per token), so large prompts do not hammer a busy server.
LARGE_PROMPT_BYTES = 128 * 1024

# The throttled window: 10 requests in flight and a 20x byte cost (later official SDKs' throttled
# dispatch, also Elixir tinkex 0.4's), held 10 s past the 429'd request's own wait, then a 10 s
# linear recovery so the server is not hit by the full concurrency the moment the window ends.
THROTTLED_CONCURRENCY = 10
THROTTLED_BYTE_FACTOR = 20.0
THROTTLE_HOLD = 10.0
THROTTLE_RECOVER = 10.0


def sample_backoff_seconds(prompt_bytes: int, retry_after: float | None = None) -> float:
    """Wait after a sampling 429: the server's Retry-After if given, else 1 s (5 s for big prompts).

    >>> sample_backoff_seconds(1000), sample_backoff_seconds(200_000), sample_backoff_seconds(10, 2.5)
    (1.0, 5.0, 2.5)
    """
    if retry_after is not None:
        return retry_after
    return 5.0 if prompt_bytes > LARGE_PROMPT_BYTES else 1.0


@attrs.frozen
class ThrottleWindow:
    """Monotonic times: full throttling until `hold_until`, recovering until `recover_until`."""

    hold_until: float
    recover_until: float


@attrs.frozen
class ThrottleLimits:
    """What a sample dispatch may use now: requests in flight, and the multiplier on its byte cost."""

    concurrency: int
    byte_factor: float
    active: bool


def throttle_after_429(
    window: ThrottleWindow | None,
    now: float,
    prompt_bytes: int,
    retry_after: float | None = None,
    *,
    hold: float = THROTTLE_HOLD,
    recover: float = THROTTLE_RECOVER,
) -> ThrottleWindow:
    """The window after a 429 at `now`: the request's own wait plus `hold`, then `recover`; a window
    already running is only ever extended, never shortened.

    >>> throttle_after_429(None, 100.0, 1000)
    ThrottleWindow(hold_until=111.0, recover_until=121.0)
    >>> throttle_after_429(ThrottleWindow(150.0, 160.0), 100.0, 1000)
    ThrottleWindow(hold_until=150.0, recover_until=160.0)
    """
    hold_until = now + sample_backoff_seconds(prompt_bytes, retry_after) + hold
    if window is not None:
        hold_until = max(hold_until, window.hold_until)
        return ThrottleWindow(hold_until, max(hold_until + recover, window.recover_until))
    return ThrottleWindow(hold_until, hold_until + recover)


def throttle_limits(
    window: ThrottleWindow | None,
    now: float,
    *,
    concurrency: int,
    throttled_concurrency: int = THROTTLED_CONCURRENCY,
    byte_factor: float = THROTTLED_BYTE_FACTOR,
) -> ThrottleLimits:
    """Limits at `now`: throttled inside the hold, normal (`concurrency`, factor 1) after the window,
    and in between a straight line from one to the other (at least one request always fits).

    >>> w = ThrottleWindow(hold_until=10.0, recover_until=20.0)
    >>> throttle_limits(w, 5.0, concurrency=410)
    ThrottleLimits(concurrency=10, byte_factor=20.0, active=True)
    >>> throttle_limits(w, 15.0, concurrency=410)
    ThrottleLimits(concurrency=210, byte_factor=10.5, active=True)
    >>> throttle_limits(w, 20.0, concurrency=410)
    ThrottleLimits(concurrency=410, byte_factor=1.0, active=False)
    """
    if window is None or now >= window.recover_until:
        return ThrottleLimits(concurrency, 1.0, False)
    low = max(1, min(throttled_concurrency, concurrency))
    if now < window.hold_until:
        return ThrottleLimits(low, byte_factor, True)
    span = window.recover_until - window.hold_until
    progress = (now - window.hold_until) / span if span > 0 else 1.0
    return ThrottleLimits(
        int(low + (concurrency - low) * progress),
        byte_factor - (byte_factor - 1.0) * progress,
        True,
    )
