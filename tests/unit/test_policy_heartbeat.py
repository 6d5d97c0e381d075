"""Table tests of heartbeat lease bookkeeping and sampling back-pressure pauses."""

from __future__ import annotations

import pytest

from tinkex._policy._heartbeat import HeartbeatLease, is_session_lost_reply
from tinkex._policy._sampling import sample_backoff_seconds


@pytest.mark.parametrize(
    ("status", "body", "lost"),
    [
        (404, None, True),
        (410, {"detail": "gone"}, True),
        (400, {"detail": "Session expired"}, True),
        (403, {"detail": "session not found"}, True),
        (400, {"detail": "bad request"}, False),
        (503, {"detail": "session expired"}, False),  # 5xx is the server's trouble, not a verdict
        (None, None, False),
        (408, None, False),
        (200, None, False),
    ],
)
def test_is_session_lost_reply(status: int | None, body: object, lost: bool) -> None:
    assert is_session_lost_reply(status, body) is lost


def test_lease_warns_after_120s_then_at_most_every_60s() -> None:
    lease = HeartbeatLease(started=0.0, warn_after=120.0, warn_every=60.0)
    timeline = [
        (t, lease.failure(t, status=503, body=None).warn)
        for t in (10.0, 60.0, 110.0, 121.0, 131.0, 170.0, 181.0)
    ]
    assert [w for _, w in timeline] == [False, False, False, True, False, False, True]


def test_lease_success_resets_the_clock() -> None:
    lease = HeartbeatLease(started=0.0, warn_after=120.0)
    lease.success(100.0)
    action = lease.failure(200.0, status=None, body=None)
    assert not action.warn
    assert action.seconds_since_success == 100.0
    assert lease.failure(221.0, status=None, body=None).warn


def test_lease_lost_on_404() -> None:
    lease = HeartbeatLease(started=0.0)
    action = lease.failure(5.0, status=404, body=None)
    assert action.lost
    assert lease.lost
    assert not action.warn


@pytest.mark.parametrize(
    ("prompt_bytes", "retry_after", "pause"),
    [
        (10, None, 1.0),
        (128 * 1024, None, 1.0),
        (128 * 1024 + 1, None, 5.0),
        (10, 2.5, 2.5),
        (10**7, 0.2, 0.2),
    ],
)
def test_sample_backoff_seconds(prompt_bytes: int, retry_after: float | None, pause: float) -> None:
    assert sample_backoff_seconds(prompt_bytes, retry_after) == pause
