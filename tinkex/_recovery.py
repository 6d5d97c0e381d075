"""Recovery automation: `run_with_recovery` drives a user's training step function, checkpoints on
the schedule of a `RecoveryPolicy`, and when the session, the model or the server is lost (or the
run is marked corrupted) restarts from the latest checkpoint with its optimizer state, at the step
that checkpoint was taken. The decisions live in `tinkex._policy._recovery`; this is the I/O shell."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from tinkex._exceptions import APIConnectionError, TinkexError, TinkexValidationError
from tinkex._policy._recovery import (
    FailureKind,
    TrainingRunCorruptedError,
    checkpoint_name,
    classify_failure,
    recovery_delay,
    should_checkpoint,
    step_of_checkpoint,
)
from tinkex._runtime._observe import logger
from tinkex._runtime._waits import is_zeroed

if TYPE_CHECKING:
    from tinkex._service_client import ServiceClient
    from tinkex._training_client import TrainingClient

__all__ = ["RecoveryExhaustedError", "RecoveryPolicy", "RecoveryResult", "run_with_recovery"]

TrainStep = Callable[["TrainingClient", int], object]


def _positive_or_none(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or value <= 0):
        raise TinkexValidationError(
            f"RecoveryPolicy.{attribute.name}",
            f"must be > 0 or None, got {value!r}",
            "pass a positive number",
        )


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or value < 0:
        raise TinkexValidationError(
            f"RecoveryPolicy.{attribute.name}", f"must be >= 0, got {value!r}", "pass 0 or more"
        )


def _prefix(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value or "/" in value:
        raise TinkexValidationError(
            "RecoveryPolicy.checkpoint_prefix",
            f"must be a non-empty name without '/', got {value!r}",
            "pass e.g. 'recovery'",
        )


@attrs.frozen(kw_only=True)
class RecoveryPolicy:
    """How `run_with_recovery` checkpoints and recovers (frozen; change with `attrs.evolve`).

    - `checkpoint_every_steps` / `checkpoint_every_seconds`: the schedule (either or both; a
      checkpoint is also taken before the first step and, with `checkpoint_at_end`, after the last).
      Each is `save_state` (weights + optimizer) named `<checkpoint_prefix>-step-<N>`, N = steps done.
    - `max_attempts`: recovery attempts in a row without a completed step before giving up with
      `RecoveryExhaustedError`; a completed step resets the count.
    - `backoff_base_s` / `backoff_max_s`: wait before attempt n is base * 2**(n-1), capped.
    - `server_wait_s`: how long one attempt keeps trying to reach a server that is down (restarting).
    - `restore_optimizer`: restore Adam state with the weights (False resets it, as
      `create_training_client_from_state` does).
    - `check_corrupted`: before each checkpoint and after a server error, ask the server whether the
      run is marked corrupted, so a bad state is never saved as the one to recover from.

    Example::

        policy = tinkex.RecoveryPolicy(checkpoint_every_steps=50, max_attempts=5)
    """

    checkpoint_every_steps: int | None = attrs.field(default=10, validator=_positive_or_none)
    checkpoint_every_seconds: float | None = attrs.field(default=None, validator=_positive_or_none)
    checkpoint_at_end: bool = True
    checkpoint_prefix: str = attrs.field(default="recovery", validator=_prefix)
    max_attempts: int = attrs.field(default=3, validator=_non_negative)
    backoff_base_s: float = attrs.field(default=1.0, validator=_non_negative)
    backoff_max_s: float = attrs.field(default=30.0, validator=_non_negative)
    server_wait_s: float = attrs.field(default=300.0, validator=_non_negative)
    restore_optimizer: bool = True
    check_corrupted: bool = True


class RecoveryExhaustedError(TinkexError):
    """`run_with_recovery` gave up: `attempts` recoveries in a row failed (or there was no checkpoint).

    `last_checkpoint` (a tinker:// path or None) and `resume_step` say where to pick up by hand
    (`run_with_recovery(..., resume_from=e.last_checkpoint)`); the last failure is `__cause__`.

    Example::

        except tinkex.RecoveryExhaustedError as e:
            print(e.attempts, e.last_checkpoint, e.resume_step, repr(e.__cause__))
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        failure_kind: str | None,
        last_checkpoint: str | None,
        resume_step: int | None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.failure_kind = failure_kind
        self.last_checkpoint = last_checkpoint
        self.resume_step = resume_step


@attrs.frozen
class RecoveryResult:
    """What `run_with_recovery` finished with.

    `training_client` and `service_client` are the live ones (new ones after a recovery);
    `recoveries` counts successful recoveries; `last_checkpoint` is the tinker:// path of the latest
    checkpoint. `close()` closes `service_client` if the runner created it (yours stays yours).

    Example::

        result = tinkex.run_with_recovery(sc, step, num_steps=100, training_client=tc)
        print(result.steps_completed, result.recoveries, result.last_checkpoint)
        result.close()
    """

    training_client: TrainingClient
    service_client: ServiceClient
    steps_completed: int
    recoveries: int
    last_checkpoint: str | None
    owns_service_client: bool = False

    def close(self) -> None:
        if self.owns_service_client:
            self.service_client.close()


def _sleep(seconds: float) -> None:
    if seconds > 0 and not is_zeroed():
        time.sleep(seconds)


def _clone_service_client(sc: ServiceClient) -> ServiceClient:
    """A new ServiceClient (new session) with the same configuration, event hooks and transport."""
    from tinkex._service_client import ServiceClient

    rt = sc._rt
    return ServiceClient(
        config=sc.config,
        event_hooks=list(rt.observer._hooks),
        http_client_factory=rt.transport._factory,
    )


@attrs.define
class _Checkpoint:
    path: str
    step: int
    taken_at: float


class _Runner:
    """One run's mutable state; every decision is delegated to the pure functions."""

    def __init__(
        self,
        service_client: ServiceClient,
        policy: RecoveryPolicy,
        new_service_client: Callable[[ServiceClient], ServiceClient],
    ) -> None:
        self.user_sc = service_client
        self.sc = service_client
        self.policy = policy
        self.new_service_client = new_service_client
        self.recoveries = 0
        self.checkpoint: _Checkpoint | None = None

    def emit(self, operation: str, **attributes: Any) -> None:
        self.sc._rt.observer.emit("recovery", operation, **attributes)

    def check_corrupted(self, tc: TrainingClient) -> None:
        run = self.sc.create_rest_client().get_training_run(tc.model_id).result()
        if run.corrupted:
            raise TrainingRunCorruptedError(tc.model_id)

    def save(self, tc: TrainingClient, step: int) -> None:
        if self.policy.check_corrupted:
            self.check_corrupted(tc)
        name = checkpoint_name(self.policy.checkpoint_prefix, step)
        path = tc.save_state(name).result().path
        self.checkpoint = _Checkpoint(path, step, time.monotonic())
        self.emit("checkpoint", step=step, path=path, model_id=tc.model_id)

    def restore(self, path: str) -> TrainingClient:
        """A training client on `path` through a fresh ServiceClient, waiting for a server that is
        down (restarting) up to `server_wait_s`."""
        deadline = time.monotonic() + self.policy.server_wait_s
        tries = 0
        while True:
            old = self.sc
            self.sc = self.new_service_client(old)
            if old is not self.user_sc:
                old.close()
            try:
                if self.policy.restore_optimizer:
                    return self.sc.create_training_client_from_state_with_optimizer(path)
                return self.sc.create_training_client_from_state(path)
            except APIConnectionError:
                tries += 1
                if time.monotonic() >= deadline:
                    raise
                _sleep(recovery_delay(tries, base=self.policy.backoff_base_s, cap=self.policy.backoff_max_s))

    def classify(self, exc: BaseException, tc: TrainingClient) -> FailureKind | None:
        kind = classify_failure(exc)
        if kind == "server_error" and self.policy.check_corrupted:
            # A failing server may be failing because the run went bad: say so if it did.
            try:
                self.check_corrupted(tc)
            except TrainingRunCorruptedError:
                return "corrupted"
            except Exception:  # the check is best effort; the failure is recovered from either way
                logger.debug("corruption check after a server error failed", exc_info=True)
        return kind

    def give_up(self, message: str, attempts: int, kind: str | None) -> RecoveryExhaustedError:
        ckpt = self.checkpoint
        self.emit(
            "recovery_exhausted",
            attempts=attempts,
            failure_kind=kind,
            path=ckpt.path if ckpt else None,
            step=ckpt.step if ckpt else None,
        )
        where = (
            f"the latest checkpoint is {ckpt.path} ({ckpt.step} steps done): pass "
            f"resume_from={ckpt.path!r} to run_with_recovery once the server is healthy"
            if ckpt
            else "no checkpoint was taken, so the run must start over"
        )
        return RecoveryExhaustedError(
            f"{message}; {where}",
            attempts=attempts,
            failure_kind=kind,
            last_checkpoint=ckpt.path if ckpt else None,
            resume_step=ckpt.step if ckpt else None,
        )

    def recover(
        self, exc: BaseException, tc: TrainingClient, attempts: int
    ) -> tuple[TrainingClient, int, int]:
        """Recover from `exc`: (new training client, step to resume at, attempts used), or raise."""
        while True:
            kind = self.classify(exc, tc)
            if kind is None:
                raise exc
            ckpt = self.checkpoint
            if ckpt is None:
                raise self.give_up(
                    f"cannot recover from {type(exc).__name__} ({kind})", attempts, kind
                ) from exc
            attempts += 1
            if attempts > self.policy.max_attempts:
                raise self.give_up(
                    f"gave up after {attempts - 1} recovery attempt(s) in a row; last failure: "
                    f"{type(exc).__name__} ({kind})",
                    attempts - 1,
                    kind,
                ) from exc
            logger.warning(
                "Training failed (%s: %s); recovering from %s, attempt %d of %d",
                kind,
                type(exc).__name__,
                ckpt.path,
                attempts,
                self.policy.max_attempts,
            )
            self.emit(
                "recovery_started",
                failure_kind=kind,
                error_type=type(exc).__name__,
                attempt=attempts,
                path=ckpt.path,
                step=ckpt.step,
                model_id=tc.model_id,
            )
            _sleep(recovery_delay(attempts, base=self.policy.backoff_base_s, cap=self.policy.backoff_max_s))
            try:
                new_tc = self.restore(ckpt.path)
            except Exception as again:
                self.emit(
                    "recovery_failed", failure_kind=kind, error_type=type(again).__name__, attempt=attempts
                )
                exc = again
                continue
            self.recoveries += 1
            # The checkpoint we restored from stays the latest: its step is where we resume.
            self.checkpoint = _Checkpoint(ckpt.path, ckpt.step, time.monotonic())
            self.emit(
                "recovery_completed",
                failure_kind=kind,
                attempt=attempts,
                path=ckpt.path,
                step=ckpt.step,
                model_id=new_tc.model_id,
            )
            return new_tc, ckpt.step, attempts


def run_with_recovery(
    service_client: ServiceClient,
    train_step: TrainStep,
    *,
    num_steps: int,
    training_client: TrainingClient | None = None,
    resume_from: str | None = None,
    start_step: int | None = None,
    policy: RecoveryPolicy | None = None,
    _new_service_client: Callable[[ServiceClient], ServiceClient] = _clone_service_client,
) -> RecoveryResult:
    """Run `train_step(training_client, step)` for step = start .. num_steps-1, surviving lost
    sessions, server restarts, connection loss and corrupted runs (opt-in; blocking).

    Pass either a `training_client` (starts at `start_step`, default 0) or `resume_from`, a tinker://
    checkpoint path (starts at the step in its name, `<prefix>-step-<N>`, or at `start_step`).
    `train_step` does one step's whole work and waits for it (`.result()`), e.g. forward_backward +
    optim_step for batch `step`; it must take its data from `step`, so a replayed step sees the
    same batch. Checkpoints follow `policy` (`RecoveryPolicy()` by default); on a recoverable
    failure the runner waits, restores the latest checkpoint with its optimizer state into a new
    training client (on a new ServiceClient with the same config and event hooks), and resumes at
    that checkpoint's step: no step is lost and none is applied twice. Other errors (bad input, a
    bug in `train_step`) propagate unchanged. Each checkpoint and recovery is an SDKEvent of kind
    "recovery" (operations checkpoint, recovery_started, recovery_completed, recovery_failed,
    recovery_exhausted). Raises `RecoveryExhaustedError` after `policy.max_attempts` failed
    attempts in a row.

    Example::

        def step(tc, i):
            tc.forward_backward(batches[i], "cross_entropy").result()
            tc.optim_step(tinkex.AdamParams(learning_rate=1e-4)).result()

        result = tinkex.run_with_recovery(
            sc, step, num_steps=len(batches), training_client=tc,
            policy=tinkex.RecoveryPolicy(checkpoint_every_steps=20),
        )
        print(result.last_checkpoint, result.recoveries)
    """
    policy = policy if policy is not None else RecoveryPolicy()
    if (training_client is None) == (resume_from is None):
        raise TinkexValidationError(
            "run_with_recovery",
            "needs exactly one of training_client and resume_from",
            "pass the TrainingClient to train, or the tinker:// checkpoint path to resume from",
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 0:
        raise TinkexValidationError("num_steps", f"must be an int >= 0, got {num_steps!r}", "pass e.g. 100")
    runner = _Runner(service_client, policy, _new_service_client)
    if resume_from is not None:
        step = start_step if start_step is not None else step_of_checkpoint(resume_from)
        if step is None:
            raise TinkexValidationError(
                "resume_from",
                f"{resume_from!r} does not say which step it was taken at",
                "pass start_step=<steps done at that checkpoint>, or a '<prefix>-step-<N>' checkpoint",
            )
        tc = runner.restore(resume_from)
        runner.checkpoint = _Checkpoint(resume_from, step, time.monotonic())
    else:
        assert training_client is not None
        tc = training_client
        step = start_step if start_step is not None else 0
    if step < 0 or step > num_steps:
        raise TinkexValidationError(
            "start_step", f"must be in 0..num_steps ({num_steps}), got {step}", "pass a step within the run"
        )
    attempts = 0
    while True:
        try:
            ckpt = runner.checkpoint
            if should_checkpoint(
                step,
                num_steps=num_steps,
                last_checkpoint_step=ckpt.step if ckpt else None,
                seconds_since_checkpoint=time.monotonic() - ckpt.taken_at if ckpt else 0.0,
                every_steps=policy.checkpoint_every_steps,
                every_seconds=policy.checkpoint_every_seconds,
                at_end=policy.checkpoint_at_end,
            ):
                runner.save(tc, step)
            if step >= num_steps:
                break
            train_step(tc, step)
            step += 1
            attempts = 0
        except Exception as exc:
            tc, step, attempts = runner.recover(exc, tc, attempts)
    ckpt = runner.checkpoint
    return RecoveryResult(
        training_client=tc,
        service_client=runner.sc,
        steps_completed=step,
        recoveries=runner.recoveries,
        last_checkpoint=ckpt.path if ckpt else None,
        owns_service_client=runner.sc is not runner.user_sc,
    )
