"""retryable / retry_after / is_user_error: the pure rules, and every exception class the SDK raises."""

from __future__ import annotations

import pickle

import pytest

import tinkex
from tinkex._archive import UnsafeArchiveError
from tinkex._download import DownloadIntegrityError
from tinkex._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    CircuitOpenError,
    ClientClosedError,
    FutureTimeoutError,
    RequestFailedError,
    SessionLostError,
    TinkexError,
    TinkexValidationError,
    status_error_for,
)
from tinkex._policy._recovery import TrainingRunCorruptedError
from tinkex._policy._retry import ErrorTraits, error_traits, retry_decision
from tinkex._recovery import RecoveryExhaustedError


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({}, (False, None, False)),
        ({"local_input": True}, (False, None, True)),
        ({"connection_error": True}, (True, None, False)),
        ({"status": 400}, (False, None, True)),
        ({"status": 401}, (False, None, True)),
        ({"status": 403}, (False, None, True)),
        ({"status": 404}, (False, None, True)),
        ({"status": 408}, (True, None, False)),
        ({"status": 409}, (False, None, True)),
        ({"status": 409, "conflict_retryable": True}, (True, None, False)),
        ({"status": 410}, (True, None, False)),
        # A training request whose result expired may have been applied: resending is not safe.
        ({"status": 410, "resubmit_safe": False}, (False, None, False)),
        ({"status": 422}, (False, None, True)),
        ({"status": 429}, (True, None, False)),
        ({"status": 429, "headers": {"Retry-After": "7"}}, (True, 7.0, False)),
        ({"status": 429, "headers": {"retry-after-ms": "1500"}}, (True, 1.5, False)),
        # Above the policy's 60 s cap the header is ignored, as the retry loop ignores it.
        ({"status": 429, "headers": {"Retry-After": "3600"}}, (True, None, False)),
        ({"status": 500}, (True, None, False)),
        ({"status": 503, "headers": {"Retry-After": "2"}}, (True, 2.0, False)),
        ({"status": 529}, (True, None, False)),
        # The server's x-should-retry wins over the status, both ways.
        ({"status": 400, "headers": {"x-should-retry": "true"}}, (True, None, False)),
        ({"status": 503, "headers": {"x-should-retry": "false"}}, (False, None, False)),
        # A Retry-After on a status that is not retried promises nothing.
        ({"status": 404, "headers": {"Retry-After": "2"}}, (False, None, True)),
        ({"status": 302}, (False, None, False)),
        ({"status": 200}, (False, None, False)),
        ({"category": "user"}, (False, None, True)),
        ({"category": "server"}, (True, None, False)),
        ({"category": "unknown"}, (False, None, False)),
        ({"transient": True}, (True, None, False)),
        ({"transient": True, "retry_after": 12.5}, (True, 12.5, False)),
    ],
)
def test_error_traits_table(facts: dict[str, object], expected: tuple[bool, float | None, bool]) -> None:
    assert error_traits(**facts) == ErrorTraits(*expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [*range(400, 432), *range(500, 512), 529, 599])
@pytest.mark.parametrize("conflict_retryable", [False, True])
def test_retryable_agrees_with_what_the_retry_loop_does(status: int, conflict_retryable: bool) -> None:
    # The loop retries exactly what `retryable` promises (410 aside: the loop leaves resubmitting an
    # expired result to the caller, which the error's retryable tells it to do).
    loop = retry_decision(
        status=status, attempt=0, max_retries=3, conflict_retryable=conflict_retryable
    ).retry
    traits = error_traits(status=status, conflict_retryable=conflict_retryable)
    assert traits.retryable == (loop or status == 410)
    assert not (traits.retryable and traits.is_user_error)


def _status(status: int, **kw: object) -> APIStatusError:
    return status_error_for(status, "POST /api/v1/x", **kw)  # type: ignore[arg-type]


# (instance, retryable, retry_after, is_user_error): one row per class the SDK raises.
CASES: list[tuple[str, TinkexError, bool, float | None, bool]] = [
    ("TinkexError", TinkexError("x"), False, None, False),
    ("APIError", APIError("x"), False, None, False),
    ("APIConnectionError", APIConnectionError(), True, None, False),
    ("APITimeoutError", APITimeoutError(), True, None, False),
    ("APIStatusError", APIStatusError("x", status_code=418), False, None, True),
    ("BadRequestError", _status(400), False, None, True),
    ("AuthenticationError", _status(401), False, None, True),
    ("BillingError", _status(402), False, None, True),
    ("BillingError/retry-after", _status(402, headers={"retry-after": "30"}), True, 30.0, True),
    ("PermissionDeniedError", _status(403), False, None, True),
    ("NotFoundError", _status(404), False, None, True),
    ("RequestTimeoutError", _status(408), True, None, False),
    ("ConflictError", _status(409), False, None, True),
    ("ConflictError/idempotent", _status(409, conflict_retryable=True), True, None, False),
    ("GoneError", _status(410), True, None, False),
    ("GoneError/training", _status(410, resubmit_safe=False), False, None, False),
    ("UnprocessableEntityError", _status(422), False, None, True),
    ("RateLimitError", _status(429, headers={"retry-after": "4"}), True, 4.0, False),
    ("InternalServerError", _status(502), True, None, False),
    ("APIResponseValidationError", APIResponseValidationError(body={}), False, None, False),
    ("DownloadIntegrityError", DownloadIntegrityError("sha256 mismatch"), True, None, False),
    ("RequestFailedError/user", RequestFailedError("bad", "r1", "user"), False, None, True),
    ("RequestFailedError/server", RequestFailedError("oops", "r1", "server"), True, None, False),
    ("RequestFailedError/unknown", RequestFailedError("?", "r1", "weird"), False, None, False),
    ("CircuitOpenError", CircuitOpenError("sampling", 12.5, 5), True, 12.5, False),
    ("ClientClosedError", ClientClosedError(), False, None, False),
    ("FutureTimeoutError", FutureTimeoutError(timeout=3.0), True, None, False),
    ("SessionLostError", SessionLostError(session_id="s"), False, None, False),
    ("UnsafeArchiveError", UnsafeArchiveError("../etc/passwd", "escapes the target"), False, None, False),
    ("TinkexValidationError", TinkexValidationError("f", "bad", "fix"), False, None, True),
    # Recovery's own errors: resending the same request cannot help (restarting from a checkpoint can).
    ("TrainingRunCorruptedError", TrainingRunCorruptedError("run-1"), False, None, False),
    (
        "RecoveryExhaustedError",
        RecoveryExhaustedError(
            "gave up", attempts=3, failure_kind="model_lost", last_checkpoint=None, resume_step=None
        ),
        False,
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "exc", "retryable", "retry_after", "user"), CASES, ids=[c[0] for c in CASES]
)
def test_every_error_class_says_what_to_do(
    name: str, exc: TinkexError, retryable: bool, retry_after: float | None, user: bool
) -> None:
    assert type(exc).__name__ == name.split("/")[0]
    assert (exc.retryable, exc.retry_after, exc.is_user_error) == (retryable, retry_after, user)
    # The traits survive pickling (errors cross process boundaries in multiprocessing pools).
    back = pickle.loads(pickle.dumps(exc))
    assert (back.retryable, back.retry_after, back.is_user_error) == (retryable, retry_after, user)


def _all_subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _all_subclasses(sub)
    return out


def test_the_table_covers_every_public_error_class() -> None:
    public = {getattr(tinkex, n) for n in tinkex.__all__ if isinstance(getattr(tinkex, n), type)}
    errors = {c for c in _all_subclasses(TinkexError) | {TinkexError} if c in public}
    covered = {type(c[1]) for c in CASES}
    assert errors - covered == set()


def test_official_is_user_error_of_status_errors_is_kept() -> None:
    # 0.7.0-era code reads is_user_error on status errors: 4xx but 408/429 are the user's.
    assert _status(400).is_user_error
    assert not _status(429).is_user_error
    assert not _status(500).is_user_error
