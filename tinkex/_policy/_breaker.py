"""The circuit breaker of one connection purpose as a pure state machine: `breaker_step(state,
event, now, ...)` returns the next state and, for an "admit" event, whether the call may go out.

closed --(failure_threshold failures in a row)--> open --(reset_timeout elapsed, on admit)-->
half_open (up to half_open_max_calls probes) --(a success)--> closed / --(a failure)--> open.
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = [
    "BreakerEvent",
    "BreakerPhase",
    "BreakerState",
    "BreakerVerdict",
    "breaker_step",
    "counts_as_failure",
]

BreakerPhase = Literal["closed", "open", "half_open"]
# admit: a call wants to go out; success / failure: an admitted call's outcome; abandon: an admitted
# call ended without an outcome (cancelled), so a half-open probe slot is given back.
BreakerEvent = Literal["admit", "success", "failure", "abandon"]

# While the probe of a half-open breaker is out, other callers are refused and told to come back
# after this long (capped at reset_timeout): the probe's answer usually arrives well within it.
HALF_OPEN_RETRY_AFTER = 1.0


@attrs.frozen
class BreakerState:
    """Where one purpose's breaker is; `opened_at` is a monotonic time, `probes` the probes in flight."""

    phase: BreakerPhase = "closed"
    failures: int = 0
    opened_at: float = 0.0
    probes: int = 0


@attrs.frozen
class BreakerVerdict:
    """For "admit": may the call go out (`allowed`), is it the half-open probe, and if refused, how
    long until asking again makes sense (`retry_after`). Other events always return allowed=True."""

    allowed: bool = True
    probe: bool = False
    retry_after: float | None = None


_ALLOW = BreakerVerdict()


def counts_as_failure(status: int | None) -> bool:
    """A failure for the breaker: no HTTP answer (None) or a 5xx. Any other answer (4xx, 429) shows
    the server alive and well enough to judge the request, so it counts as a success.

    >>> counts_as_failure(None), counts_as_failure(503), counts_as_failure(429), counts_as_failure(404)
    (True, True, False, False)
    """
    return status is None or status >= 500


def breaker_step(
    state: BreakerState,
    event: BreakerEvent,
    now: float,
    *,
    failure_threshold: int,
    reset_timeout: float,
    half_open_max_calls: int = 1,
) -> tuple[BreakerState, BreakerVerdict]:
    """One transition of the breaker. Outcomes of calls admitted before the breaker opened are ignored
    while it is open (they say nothing about the cool-down); in half-open any success closes it and
    any failure re-opens it for a fresh cool-down.

    >>> s, v = breaker_step(BreakerState(), "failure", 0.0, failure_threshold=1, reset_timeout=30)
    >>> s.phase, breaker_step(s, "admit", 10.0, failure_threshold=1, reset_timeout=30)[1].retry_after
    ('open', 20.0)
    """
    phase = state.phase
    if event == "admit":
        if phase == "closed":
            return state, _ALLOW
        if phase == "open":
            elapsed = now - state.opened_at
            if elapsed < reset_timeout:
                return state, BreakerVerdict(allowed=False, retry_after=reset_timeout - elapsed)
            return attrs.evolve(state, phase="half_open", probes=1), BreakerVerdict(probe=True)
        if state.probes < half_open_max_calls:
            return attrs.evolve(state, probes=state.probes + 1), BreakerVerdict(probe=True)
        return state, BreakerVerdict(allowed=False, retry_after=min(HALF_OPEN_RETRY_AFTER, reset_timeout))
    if event == "success":
        if phase == "open":
            return state, _ALLOW
        return BreakerState(), _ALLOW
    if event == "failure":
        if phase == "open":
            return state, _ALLOW
        if phase == "half_open":
            return BreakerState("open", state.failures + 1, now, 0), _ALLOW
        failures = state.failures + 1
        if failures >= failure_threshold:
            return BreakerState("open", failures, now, 0), _ALLOW
        return attrs.evolve(state, failures=failures), _ALLOW
    # abandon
    if phase == "half_open" and state.probes > 0:
        return attrs.evolve(state, probes=state.probes - 1), _ALLOW
    return state, _ALLOW
