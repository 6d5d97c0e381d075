"""The decisions of recovery automation, as pure functions: is this failure recoverable (and what
kind it is), when to checkpoint, which step a checkpoint resumes at, how long to wait before the
next attempt. `tinkex._recovery` is the I/O shell that runs them."""

from __future__ import annotations

import re
from typing import Literal

from tinkex._exceptions import (
    APIConnectionError,
    APIStatusError,
    ClientClosedError,
    FutureTimeoutError,
    GoneError,
    RequestFailedError,
    SessionLostError,
    TinkexError,
    TinkexValidationError,
)

__all__ = [
    "FailureKind",
    "TrainingRunCorruptedError",
    "checkpoint_name",
    "classify_failure",
    "recovery_delay",
    "should_checkpoint",
    "step_of_checkpoint",
]

FailureKind = Literal[
    "session_lost", "model_lost", "server_restarted", "connection", "corrupted", "server_error"
]


class TrainingRunCorruptedError(TinkexError):
    """The server marks this training run `corrupted`: its weights can no longer be trusted.

    Raised by `run_with_recovery` when it checks the run (before each checkpoint, and after a server
    failure) and recovered from like a lost model: the run restarts from the last good checkpoint.

    Example::

        except tinkex.TrainingRunCorruptedError as e:
            print(e.training_run_id)
    """

    training_run_id: str

    def __init__(self, training_run_id: str) -> None:
        super().__init__(
            f"training run {training_run_id} is marked corrupted by the server; restart it from its "
            "last good checkpoint (run_with_recovery does so on its own)"
        )
        self.training_run_id = training_run_id


# What servers say when a model they once had is gone: the local server's 404 "model m is not loaded
# (unloaded, or the server restarted)", and the usual wordings of an unknown or missing model.
_MODEL_GONE = re.compile(
    r"model[^;]{0,80}?\b(not loaded|not found|unknown|does not exist)|unknown model|no such model",
    re.IGNORECASE,
)


def classify_failure(exc: BaseException) -> FailureKind | None:
    """The kind of a failure that restarting from the last checkpoint can cure, or None.

    None means recovery cannot help and the error goes to the caller: bad input (validation,
    4xx other than a vanished model, a failed request the server blames on the input), a deadline
    the caller set, a closed client, or any exception that is not tinkex's (a bug in the step).

    >>> classify_failure(SessionLostError(session_id="s-1"))
    'session_lost'
    >>> classify_failure(ValueError("bad batch")) is None
    True
    """
    if isinstance(exc, TrainingRunCorruptedError):
        return "corrupted"
    if isinstance(exc, SessionLostError):
        return "session_lost"
    if isinstance(exc, (ClientClosedError, FutureTimeoutError, TinkexValidationError)):
        return None
    if isinstance(exc, (APIStatusError, RequestFailedError)) and _MODEL_GONE.search(_server_text(exc)):
        return "model_lost"
    if isinstance(exc, GoneError):
        # retrieve_future's 410: the server no longer holds a submitted request's result (it
        # restarted, or the result expired). Whether the step applied is unknown: roll back.
        return "server_restarted"
    if isinstance(exc, APIConnectionError):
        return "connection"
    if isinstance(exc, APIStatusError):
        return "server_error" if exc.status_code >= 500 else None
    if isinstance(exc, RequestFailedError):
        return None if exc.is_user_error else "server_error"
    return None


def _server_text(exc: APIStatusError | RequestFailedError) -> str:
    """What the server said, without the SDK's own prefix: that names the operation (e.g.
    "create_model"), which must not read as a verdict about a model."""
    body = exc.body
    if body is not None:
        return str(body)
    text = str(exc)
    return text.split("failed on the server: ", 1)[-1]


_CHECKPOINT_STEP = re.compile(r"-step-(\d+)$")


def checkpoint_name(prefix: str, step: int) -> str:
    """The name of the checkpoint taken when `step` steps are done: the step is part of the name.

    >>> checkpoint_name("recovery", 40)
    'recovery-step-00000040'
    """
    return f"{prefix}-step-{step:08d}"


def step_of_checkpoint(path: str) -> int | None:
    """How many steps were done when a `checkpoint_name` checkpoint was taken (name or tinker://
    path); None for a name that does not carry a step.

    >>> step_of_checkpoint("tinker://run-1/weights/recovery-step-00000040")
    40
    >>> step_of_checkpoint("tinker://run-1/weights/final") is None
    True
    """
    match = _CHECKPOINT_STEP.search(path.rstrip("/").rsplit("/", 1)[-1])
    return int(match.group(1)) if match else None


def should_checkpoint(
    steps_done: int,
    *,
    num_steps: int,
    last_checkpoint_step: int | None,
    seconds_since_checkpoint: float,
    every_steps: int | None,
    every_seconds: float | None,
    at_end: bool = True,
) -> bool:
    """Whether to checkpoint now, with `steps_done` steps applied (before running the next one).

    Always when there is no checkpoint yet (recovery needs one to start from); never twice at the
    same step; at the end when `at_end`; when `steps_done` is a multiple of `every_steps`; when
    `every_seconds` have passed since the last checkpoint.

    >>> kw = dict(num_steps=10, seconds_since_checkpoint=0.0, every_steps=4, every_seconds=None)
    >>> [s for s in range(11) if should_checkpoint(s, last_checkpoint_step=0, **kw)]
    [4, 8, 10]
    """
    if last_checkpoint_step is None:
        return True
    if steps_done == last_checkpoint_step:
        return False
    if steps_done >= num_steps:
        return at_end
    if every_steps is not None and steps_done % every_steps == 0:
        return True
    return every_seconds is not None and seconds_since_checkpoint >= every_seconds


def recovery_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait before recovery attempt `attempt` (1-based): base, 2*base, 4*base ... cap.

    >>> [recovery_delay(n, base=1.0, cap=5.0) for n in (1, 2, 3, 4)]
    [1.0, 2.0, 4.0, 5.0]
    """
    return float(min(base * 2.0 ** min(max(attempt, 1) - 1, 62), cap))
