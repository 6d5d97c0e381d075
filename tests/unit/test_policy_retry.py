"""Table tests of the one retry policy: which statuses retry, Retry-After parsing, backoff shape."""

from __future__ import annotations

import email.utils

import pytest

from tinkex._policy._retry import backoff_delay, parse_retry_after, retry_decision


@pytest.mark.parametrize(
    ("status", "connection_error", "conflict_retryable", "headers", "retry"),
    [
        (None, True, False, None, True),  # connection reset / timeout
        (408, False, False, None, True),
        (429, False, False, None, True),
        (500, False, False, None, True),
        (502, False, False, None, True),
        (503, False, False, None, True),
        (529, False, False, None, True),
        (409, False, False, None, False),  # publish: "already public" must surface at once
        (409, False, True, None, True),  # idempotent op: same request still in flight
        (400, False, False, None, False),
        (401, False, False, None, False),
        (403, False, False, None, False),
        (404, False, False, None, False),
        (410, False, False, None, False),
        (422, False, False, None, False),
        (302, False, False, None, False),
        (400, False, False, {"x-should-retry": "true"}, True),
        (503, False, False, {"X-Should-Retry": "false"}, False),
        (200, False, False, None, False),
    ],
)
def test_retry_decision_by_status(
    status: int | None,
    connection_error: bool,
    conflict_retryable: bool,
    headers: dict[str, str] | None,
    retry: bool,
) -> None:
    d = retry_decision(
        status=status,
        headers=headers,
        connection_error=connection_error,
        attempt=0,
        max_retries=5,
        conflict_retryable=conflict_retryable,
    )
    assert d.retry is retry, d.reason


@pytest.mark.parametrize(
    ("attempt", "max_retries", "retry"), [(0, 0, False), (2, 3, True), (3, 3, False), (9, 10, True)]
)
def test_retry_decision_respects_max_retries(attempt: int, max_retries: int, retry: bool) -> None:
    assert retry_decision(status=503, attempt=attempt, max_retries=max_retries).retry is retry
    assert (
        retry_decision(status=None, connection_error=True, attempt=attempt, max_retries=max_retries).retry
        is retry
    )


def test_retry_decision_carries_server_delay() -> None:
    d = retry_decision(status=429, headers={"Retry-After": "3"}, attempt=0, max_retries=3)
    assert d.retry
    assert d.server_delay == 3.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # ms wins
        ({"retry-after-ms": "junk", "retry-after": "4"}, 4.0),
        ({"Retry-After": "0"}, None),
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "61"}, None),  # above the 60 s ceiling: use our own backoff
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 5, usegmt=True)
    assert parse_retry_after({"Retry-After": header}, now=lambda: now) == pytest.approx(5.0)
    past = email.utils.formatdate(now - 5, usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now=lambda: now) is None


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.5, 0.5),  # no jitter at the midpoint
        (1, 0.5, 1.0),
        (2, 0.5, 2.0),
        (3, 0.5, 4.0),
        (4, 0.5, 8.0),
        (5, 0.5, 10.0),  # capped at 10 s
        (50, 0.5, 10.0),
        (1000, 0.5, 10.0),  # no overflow
        (1, 0.0, 0.75),  # -25 %
        (1, 1.0, 1.25),  # +25 % (rand is < 1 in practice)
        (6, 0.99, 10.0),  # jitter never pushes past the cap
    ],
)
def test_backoff_delay(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, rand=lambda: rand) == pytest.approx(expected)


def test_backoff_delay_custom_base_and_cap() -> None:
    assert backoff_delay(3, base=1.0, max_delay=5.0, jitter=0.0, rand=lambda: 0.9) == 5.0
    assert backoff_delay(0, base=0.0, rand=lambda: 0.3) == 0.0
