"""The throttled window after a sampling 429: its extent and the limits over time."""

from __future__ import annotations

import pytest

from tinkex._policy._sampling import (
    THROTTLED_BYTE_FACTOR,
    THROTTLED_CONCURRENCY,
    ThrottleLimits,
    ThrottleWindow,
    throttle_after_429,
    throttle_limits,
)


@pytest.mark.parametrize(
    ("window", "now", "prompt_bytes", "retry_after", "expected"),
    [
        # small prompt: 1 s own wait + 10 s hold, then 10 s recovery
        (None, 100.0, 1_000, None, ThrottleWindow(111.0, 121.0)),
        # big prompt: 5 s own wait
        (None, 100.0, 200_000, None, ThrottleWindow(115.0, 125.0)),
        # the server's Retry-After sets the wait
        (None, 100.0, 1_000, 3.0, ThrottleWindow(113.0, 123.0)),
        # a later 429 extends a running window
        (ThrottleWindow(105.0, 115.0), 100.0, 1_000, None, ThrottleWindow(111.0, 121.0)),
        # ...but never shortens it
        (ThrottleWindow(150.0, 170.0), 100.0, 1_000, None, ThrottleWindow(150.0, 170.0)),
        (ThrottleWindow(105.0, 140.0), 100.0, 1_000, None, ThrottleWindow(111.0, 140.0)),
    ],
)
def test_window_after_429(
    window: ThrottleWindow | None,
    now: float,
    prompt_bytes: int,
    retry_after: float | None,
    expected: ThrottleWindow,
) -> None:
    assert throttle_after_429(window, now, prompt_bytes, retry_after) == expected


W = ThrottleWindow(hold_until=10.0, recover_until=20.0)


@pytest.mark.parametrize(
    ("window", "now", "concurrency", "expected"),
    [
        (None, 0.0, 400, ThrottleLimits(400, 1.0, False)),
        (W, 0.0, 400, ThrottleLimits(THROTTLED_CONCURRENCY, THROTTLED_BYTE_FACTOR, True)),
        (W, 9.99, 400, ThrottleLimits(10, 20.0, True)),
        (W, 10.0, 400, ThrottleLimits(10, 20.0, True)),
        (W, 12.5, 410, ThrottleLimits(110, 15.25, True)),
        (W, 15.0, 410, ThrottleLimits(210, 10.5, True)),
        (W, 19.0, 410, ThrottleLimits(370, 2.9, True)),
        (W, 20.0, 400, ThrottleLimits(400, 1.0, False)),
        (W, 99.0, 400, ThrottleLimits(400, 1.0, False)),
        # a session capped below the throttled level keeps its own cap
        (W, 5.0, 4, ThrottleLimits(4, 20.0, True)),
        # a window with no recovery span ends at its hold
        (ThrottleWindow(10.0, 10.0), 10.0, 400, ThrottleLimits(400, 1.0, False)),
    ],
)
def test_limits_over_the_window(
    window: ThrottleWindow | None, now: float, concurrency: int, expected: ThrottleLimits
) -> None:
    got = throttle_limits(window, now, concurrency=concurrency)
    assert (got.concurrency, got.active) == (expected.concurrency, expected.active)
    assert got.byte_factor == pytest.approx(expected.byte_factor)


def test_recovery_never_goes_backwards() -> None:
    points = [throttle_limits(W, 9.0 + i * 0.1, concurrency=400) for i in range(120)]
    conc = [p.concurrency for p in points]
    factors = [p.byte_factor for p in points]
    assert conc == sorted(conc)
    assert factors == sorted(factors, reverse=True)
    assert conc[0] == 10
    assert conc[-1] == 400
