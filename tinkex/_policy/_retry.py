"""Whether to retry an HTTP attempt, how long to wait first, how to read Retry-After, and what an
error tells its catcher (`error_traits`: retryable, retry_after, is_user_error).

One policy for every caller (requests, polls, sampling): the official SDK spreads these rules over
three layers; here they are written once, and the exceptions read their traits from the same rules.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping

import attrs

__all__ = [
    "BILLING_PAUSE",
    "BILLING_PAUSE_MAX",
    "MAX_RETRY_AFTER",
    "ErrorTraits",
    "RetryDecision",
    "backoff_delay",
    "billing_pause",
    "error_traits",
    "parse_retry_after",
    "retry_decision",
]

# The official transport honours a server-sent Retry-After only when 0 < value <= 60 s; a larger
# value is more likely a misconfiguration than a request to stall a training loop for minutes.
MAX_RETRY_AFTER = 60.0


@attrs.frozen
class RetryDecision:
    """Outcome of `retry_decision`: retry or not, the server's requested delay if any, and why."""

    retry: bool
    reason: str
    # Seconds the server asked for (Retry-After / retry-after-ms); None means use backoff_delay.
    server_delay: float | None = None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait from `retry-after-ms` (checked first) or `retry-after` (seconds or HTTP date).

    Returns None when absent, unparsable, not positive, or above MAX_RETRY_AFTER.

    >>> parse_retry_after({"Retry-After": "2"})
    2.0
    >>> parse_retry_after({"retry-after-ms": "250"})
    0.25
    >>> parse_retry_after({"Retry-After": "3600"}) is None
    True
    """
    value: float | None = None
    raw_ms = _header(headers, "retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = None
    if value is None:
        raw = _header(headers, "retry-after")
        if raw is not None:
            try:
                value = float(raw)
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(raw)
                except (TypeError, ValueError, IndexError):
                    when = None
                if when is not None:
                    value = when.timestamp() - now()
    if value is None or math.isnan(value) or value <= 0 or value > MAX_RETRY_AFTER:
        return None
    return value


def retry_decision(
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    connection_error: bool = False,
    attempt: int,
    max_retries: int,
    conflict_retryable: bool = False,
) -> RetryDecision:
    """Decide whether attempt number `attempt` (0-based) may be followed by another.

    Retried: connection errors and timeouts, 408, 429 and 5xx; 409 only when `conflict_retryable`
    (an idempotent operation where 409 means "the same request is still in flight", never for
    publish/unpublish where it means "already in that state"); no other status. The server's
    `x-should-retry: true|false` header wins over the status. `max_retries` bounds everything.

    >>> retry_decision(status=503, attempt=0, max_retries=3).retry
    True
    >>> retry_decision(status=409, attempt=0, max_retries=3).retry
    False
    >>> retry_decision(status=400, attempt=0, max_retries=3, headers={"x-should-retry": "true"}).retry
    True
    """
    if status is not None and 200 <= status < 300:
        return RetryDecision(False, "success")
    if attempt >= max_retries:
        return RetryDecision(False, f"gave up after {max_retries} retries")
    if connection_error:
        return RetryDecision(True, "connection error")
    if status is None:
        return RetryDecision(False, "no status")
    should = (_header(headers, "x-should-retry") or "").strip().lower()
    server_delay = parse_retry_after(headers)
    if should == "true":
        return RetryDecision(True, "server asked to retry (x-should-retry)", server_delay)
    if should == "false":
        return RetryDecision(False, "server asked not to retry (x-should-retry)")
    if status == 408:
        return RetryDecision(True, "408 request timeout", server_delay)
    if status == 429:
        return RetryDecision(True, "429 rate limited", server_delay)
    if status >= 500:
        return RetryDecision(True, f"{status} server error", server_delay)
    if status == 409 and conflict_retryable:
        return RetryDecision(True, "409 conflict on an idempotent operation", server_delay)
    return RetryDecision(False, f"{status} is not retryable")


def backoff_delay(
    attempt: int,
    *,
    base: float = 0.5,
    max_delay: float = 10.0,
    jitter: float = 0.25,
    rand: Callable[[], float],
) -> float:
    """Exponential backoff with symmetric jitter: ``min(base * 2**attempt, max_delay) * (1 +- jitter)``.

    `rand` returns a float in [0, 1) (inject `random.random`, or a constant in tests); the result is
    clamped to [0, max_delay]. Defaults are the official RetryConfig's (0.5 s, 10 s, +-25 %).

    >>> backoff_delay(0, rand=lambda: 0.5)
    0.5
    >>> backoff_delay(10, rand=lambda: 0.5)
    10.0
    >>> backoff_delay(1, rand=lambda: 0.0)
    0.75
    """
    nominal = min(base * (2.0 ** min(attempt, 62)), max_delay)
    factor = 1.0 + jitter * (2.0 * rand() - 1.0)
    return max(0.0, min(nominal * factor, max_delay))


@attrs.frozen
class ErrorTraits:
    """What an error tells the code that catches it (see `error_traits`)."""

    # Can sending the same request again (now, or after retry_after) succeed?
    retryable: bool
    # Seconds the server (or the circuit breaker) asked to wait; None when nobody asked.
    retry_after: float | None
    # Was the request itself at fault, so that only changing it can help?
    is_user_error: bool


def error_traits(
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    connection_error: bool = False,
    category: str | None = None,
    conflict_retryable: bool = False,
    resubmit_safe: bool = True,
    local_input: bool = False,
    transient: bool = False,
    retry_after: float | None = None,
) -> ErrorTraits:
    """The traits of an error, from the facts it carries; every tinkex exception asks this function.

    Rules, first match wins:

    - `local_input` (bad arguments caught before sending): user error, not retryable.
    - `connection_error` (no HTTP answer, including timeouts): retryable.
    - `status` 402 (billing, tinker >= 0.38): a user error; retryable only after a Retry-After.
    - `status`: retryable exactly when `retry_decision` would retry a first attempt (408, 429, 5xx,
      409 on an idempotent operation, `x-should-retry: true`), plus 410 (an expired result: submit
      the request again) unless `resubmit_safe` is False (a training request that may have been
      applied: resubmitting could apply it twice). User error: any other 4xx, unless the server said `x-should-retry: true`.
      `retry_after` comes from `retry-after-ms` / `retry-after` (see `parse_retry_after`).
    - `category` (a failed future): `user` is a user error; `server` is retryable (the request was
      not applied, so submitting it again may succeed); `unknown` is neither.
    - `transient` (a condition that passes on its own: a user deadline, an open circuit breaker):
      retryable, after `retry_after` if given.
    - anything else (closed client, lost session, a malformed response): neither.

    >>> error_traits(status=429, headers={"Retry-After": "2"})
    ErrorTraits(retryable=True, retry_after=2.0, is_user_error=False)
    >>> error_traits(status=404)
    ErrorTraits(retryable=False, retry_after=None, is_user_error=True)
    >>> error_traits(category="server")
    ErrorTraits(retryable=True, retry_after=None, is_user_error=False)
    """
    if local_input:
        return ErrorTraits(False, None, True)
    if connection_error:
        return ErrorTraits(True, retry_after, False)
    if status == 402:
        # Billing: the account has to change, so it is the user's; worth retrying only when the
        # server said when (Retry-After), never by the SDK's own loop.
        after = parse_retry_after(headers)
        return ErrorTraits(after is not None, after, True)
    if status is not None:
        decision = retry_decision(
            status=status, headers=headers, attempt=0, max_retries=1, conflict_retryable=conflict_retryable
        )
        retryable = (decision.retry or (status == 410 and resubmit_safe)) and not 200 <= status < 300
        user = 400 <= status < 500 and status not in (408, 410, 429) and not retryable
        return ErrorTraits(retryable, parse_retry_after(headers) if retryable else None, user)
    if category is not None:
        return ErrorTraits(category == "server", None, category == "user")
    if transient:
        return ErrorTraits(True, retry_after, False)
    return ErrorTraits(False, None, False)


# The pause before a 402 is raised (see billing_pause).
BILLING_PAUSE = 10.0
BILLING_PAUSE_MAX = 60.0


def billing_pause(headers: Mapping[str, str] | None) -> float:
    """Seconds to wait before raising a 402 (BillingError): the server's Retry-After (parse_retry_after
    keeps only values up to MAX_RETRY_AFTER), else BILLING_PAUSE; never more than BILLING_PAUSE_MAX. The official 0.38 client pauses up to an hour; a bounded
    pause keeps a tight user retry loop from hammering the server while never parking a call for long.

    >>> billing_pause({"Retry-After": "5"}), billing_pause(None)
    (5.0, 10.0)
    """
    after = parse_retry_after(headers)
    return float(min(BILLING_PAUSE if after is None else after, BILLING_PAUSE_MAX))
