"""The circuit breaker's pure state machine, one transition per row."""

from __future__ import annotations

import pytest

from tinkex._policy._breaker import BreakerState, BreakerVerdict, breaker_step, counts_as_failure

CLOSED = BreakerState()
ALLOW = BreakerVerdict()
PROBE = BreakerVerdict(probe=True)


@pytest.mark.parametrize(
    ("state", "event", "now", "after", "verdict"),
    [
        # closed: calls flow; failures count up, a success resets the count.
        (CLOSED, "admit", 0.0, CLOSED, ALLOW),
        (CLOSED, "failure", 1.0, BreakerState("closed", 1), ALLOW),
        (BreakerState("closed", 2), "failure", 1.0, BreakerState("closed", 3), ALLOW),
        (BreakerState("closed", 2), "success", 1.0, CLOSED, ALLOW),
        # the threshold-th failure in a row opens it, at that moment.
        (BreakerState("closed", 3), "failure", 5.0, BreakerState("open", 4, 5.0), ALLOW),
        # open: refused with the remaining cool-down.
        (
            BreakerState("open", 4, 5.0),
            "admit",
            5.0,
            BreakerState("open", 4, 5.0),
            BreakerVerdict(False, False, 30.0),
        ),
        (
            BreakerState("open", 4, 5.0),
            "admit",
            25.0,
            BreakerState("open", 4, 5.0),
            BreakerVerdict(False, False, 10.0),
        ),
        # late outcomes of calls admitted before it opened change nothing.
        (BreakerState("open", 4, 5.0), "failure", 9.0, BreakerState("open", 4, 5.0), ALLOW),
        (BreakerState("open", 4, 5.0), "success", 9.0, BreakerState("open", 4, 5.0), ALLOW),
        (BreakerState("open", 4, 5.0), "abandon", 9.0, BreakerState("open", 4, 5.0), ALLOW),
        # cool-down over: the next call is the probe.
        (BreakerState("open", 4, 5.0), "admit", 35.0, BreakerState("half_open", 4, 5.0, 1), PROBE),
        # half-open: everyone else is refused while the probe is out.
        (
            BreakerState("half_open", 4, 5.0, 1),
            "admit",
            36.0,
            BreakerState("half_open", 4, 5.0, 1),
            BreakerVerdict(False, False, 1.0),
        ),
        # the probe decides.
        (BreakerState("half_open", 4, 5.0, 1), "success", 36.0, CLOSED, ALLOW),
        (BreakerState("half_open", 4, 5.0, 1), "failure", 36.0, BreakerState("open", 5, 36.0), ALLOW),
        # a cancelled probe gives its slot back, so the next call probes.
        (BreakerState("half_open", 4, 5.0, 1), "abandon", 36.0, BreakerState("half_open", 4, 5.0, 0), ALLOW),
        (BreakerState("half_open", 4, 5.0, 0), "admit", 37.0, BreakerState("half_open", 4, 5.0, 1), PROBE),
        (CLOSED, "abandon", 0.0, CLOSED, ALLOW),
    ],
)
def test_breaker_transitions(
    state: BreakerState, event: str, now: float, after: BreakerState, verdict: BreakerVerdict
) -> None:
    got = breaker_step(state, event, now, failure_threshold=4, reset_timeout=30.0)  # type: ignore[arg-type]
    assert got == (after, verdict)


def test_half_open_admits_up_to_the_configured_probes() -> None:
    state = BreakerState("open", 1, 0.0)
    verdicts = []
    for _ in range(4):
        state, v = breaker_step(
            state, "admit", 100.0, failure_threshold=1, reset_timeout=1.0, half_open_max_calls=3
        )
        verdicts.append(v.allowed)
    assert verdicts == [True, True, True, False]


def test_a_short_cool_down_caps_the_half_open_retry_after() -> None:
    _, v = breaker_step(
        BreakerState("half_open", 1, 0.0, 1), "admit", 0.5, failure_threshold=1, reset_timeout=0.2
    )
    assert v == BreakerVerdict(False, False, 0.2)


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (None, True),
        (500, True),
        (503, True),
        (529, True),
        (429, False),
        (408, False),
        (404, False),
        (400, False),
        (200, False),
    ],
)
def test_what_counts_as_a_failure(status: int | None, failure: bool) -> None:
    assert counts_as_failure(status) is failure
