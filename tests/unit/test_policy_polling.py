"""Table tests of how a retrieve_future reply is classified and how polling backs off."""

from __future__ import annotations

import pytest

from tinkex._policy._polling import (
    Done,
    Expired,
    Failed,
    Fatal,
    Pending,
    QueueStateThrottle,
    Transient,
    classify_poll_reply,
    poll_backoff,
)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"type": "try_again", "request_id": "r", "queue_state": "active"}, Pending("active")),
        (200, {"type": "try_again"}, Pending()),
        (200, {"type": "try_again", "queue_state": "weird"}, Pending("unknown")),
        (
            408,
            {"queue_state": "paused_capacity", "queue_state_reason": "busy"},
            Pending("paused_capacity", "busy"),
        ),
        (408, {"queue_state": "paused_rate_limit"}, Pending("paused_rate_limit")),
        (408, None, Pending()),
        (408, "timeout", Pending()),
        (200, {"error": "bad tokens", "category": "user"}, Failed("bad tokens", "user")),
        (200, {"error": "oom", "category": "server"}, Failed("oom", "server")),
        (200, {"error": "x", "category": "Server"}, Failed("x", "server")),
        (200, {"error": "x"}, Failed("x", "unknown")),
        (200, {"error": "x", "category": "bogus"}, Failed("x", "unknown")),
        (200, {"model_id": "m"}, Done({"model_id": "m"})),
        (200, {"sequences": []}, Done({"sequences": []})),
        (200, [], Fatal(200, [])),
        (200, None, Fatal(200, None)),
        (410, {"detail": "expired"}, Expired({"detail": "expired"})),
        (500, None, Transient("HTTP 500", 500)),
        (503, None, Transient("HTTP 503", 503)),
        (429, None, Transient("HTTP 429", 429)),
        (None, None, Transient("connection error")),
        (400, {"detail": "no"}, Fatal(400, {"detail": "no"})),
        (401, None, Fatal(401, None)),
        (404, None, Fatal(404, None)),
    ],
)
def test_classify_poll_reply(status: int | None, body: object, expected: object) -> None:
    assert classify_poll_reply(status, body) == expected


@pytest.mark.parametrize(
    ("n", "delay"), [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 30.0), (100, 30.0)]
)
def test_poll_backoff(n: int, delay: float) -> None:
    assert poll_backoff(n) == delay


def test_queue_state_throttle_once_a_minute() -> None:
    t = QueueStateThrottle(interval=60.0)
    seen = [
        (now, t.should_log(state, now))
        for now, state in [
            (0.0, "active"),  # active never logs
            (1.0, "paused_capacity"),
            (2.0, "paused_rate_limit"),
            (59.0, "paused_capacity"),
            (61.5, "paused_capacity"),
            (62.0, None),
            (200.0, "paused_rate_limit"),
        ]
    ]
    assert [ok for _, ok in seen] == [False, True, False, False, True, False, True]


def test_expired_hint_tells_training_callers_not_to_resubmit() -> None:
    from tinkex._policy._polling import expired_hint

    for rt in ("ForwardBackward", "OptimStep", "SaveWeights", "LoadWeights", "SaveWeightsForSampler"):
        hint = expired_hint(rt)
        assert "may have applied it" in hint, rt
        assert "do not submit it again" in hint, rt
    for rt in ("Sample", "Forward"):
        assert "submitting it again is safe" in expired_hint(rt)
    assert "unload" in expired_hint("CreateModel")


def test_unreachable_delay_matches_a_new_calls_retries() -> None:
    from tinkex._policy._polling import connection_error_budget, unreachable_delay
    from tinkex._policy._retry import backoff_delay

    kw = {"base": 0.5, "max_delay": 10.0, "jitter": 0.0, "rand": lambda: 0.5}
    delays = [unreachable_delay(n, max_retries=10, **kw) for n in range(1, 12)]  # type: ignore[arg-type]
    assert delays[-1] is None
    assert delays[:-1] == [
        backoff_delay(a, base=0.5, max_delay=10.0, jitter=0.0, rand=lambda: 0.5) for a in range(10)
    ]
    assert sum(d for d in delays if d is not None) == connection_error_budget(
        max_retries=10, base=0.5, max_delay=10.0
    )
    assert unreachable_delay(1, max_retries=10, enabled=False, **kw) is None  # type: ignore[arg-type]
