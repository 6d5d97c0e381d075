"""Recovery automation: `run_with_recovery` drives a user's training step function, checkpoints on
the schedule of a `RecoveryPolicy`, and when the session, the model or the server is lost (or the
run is marked corrupted) restarts from the latest checkpoint with its optimizer state, at the step
that checkpoint was taken. The decisions live in `tinkex._policy._recovery`; this is the I/O shell."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
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
from tinkex._runtime import _waits
from tinkex._runtime._observe import logger
from tinkex._runtime._waits import is_zeroed

if TYPE_CHECKING:
    from tinkex._service_client import ServiceClient
    from tinkex._training_client import TrainingClient

__all__ = [
    "RecoveryExhaustedError",
    "RecoveryPolicy",
    "RecoveryResult",
    "run_with_recovery",
    "run_with_recovery_async",
]

TrainStep = Callable[["TrainingClient", int], object]
AsyncTrainStep = Callable[["TrainingClient", int], Awaitable[object]]


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

    attempts: int
    failure_kind: str | None
    last_checkpoint: str | None
    resume_step: int | None

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
    """One run's mutable state and bookkeeping; every decision is delegated to the pure functions.
    The I/O comes in sync and async twins (`save` / `save_async` ...) used by the two drivers."""

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

    def delay(self, attempt: int) -> float:
        return recovery_delay(attempt, base=self.policy.backoff_base_s, cap=self.policy.backoff_max_s)

    # -- bookkeeping shared by both drivers ---------------------------------------------------------

    def due(self, step: int, num_steps: int) -> bool:
        ckpt = self.checkpoint
        return should_checkpoint(
            step,
            num_steps=num_steps,
            last_checkpoint_step=ckpt.step if ckpt else None,
            seconds_since_checkpoint=time.monotonic() - ckpt.taken_at if ckpt else 0.0,
            every_steps=self.policy.checkpoint_every_steps,
            every_seconds=self.policy.checkpoint_every_seconds,
            at_end=self.policy.checkpoint_at_end,
        )

    def saved(self, tc: TrainingClient, step: int, path: str) -> None:
        self.checkpoint = _Checkpoint(path, step, time.monotonic())
        self.emit("checkpoint", step=step, path=path, model_id=tc.model_id)

    def swap_service_client(self) -> ServiceClient | None:
        """Move to a fresh ServiceClient; returns the old one when the runner made it (to close)."""
        old = self.sc
        self.sc = self.new_service_client(old)
        return old if old is not self.user_sc else None

    def begin_attempt(
        self, exc: BaseException, kind: FailureKind | None, tc: TrainingClient, attempts: int
    ) -> tuple[_Checkpoint, int]:
        """Start recovery attempt `attempts + 1` from `exc`, or raise (unrecoverable / exhausted)."""
        if kind is None:
            raise exc
        ckpt = self.checkpoint
        if ckpt is None:
            raise self.give_up(f"cannot recover from {type(exc).__name__} ({kind})", attempts, kind) from exc
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
        return ckpt, attempts

    def attempt_failed(self, kind: FailureKind, again: BaseException, attempts: int) -> None:
        self.emit("recovery_failed", failure_kind=kind, error_type=type(again).__name__, attempt=attempts)

    def completed(self, kind: FailureKind, attempts: int, ckpt: _Checkpoint, new_tc: TrainingClient) -> None:
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

    def result(self, tc: TrainingClient, step: int) -> RecoveryResult:
        ckpt = self.checkpoint
        return RecoveryResult(
            training_client=tc,
            service_client=self.sc,
            steps_completed=step,
            recoveries=self.recoveries,
            last_checkpoint=ckpt.path if ckpt else None,
            owns_service_client=self.sc is not self.user_sc,
        )

    # -- sync I/O -------------------------------------------------------------------------------------

    def check_corrupted(self, tc: TrainingClient) -> None:
        run = self.sc.create_rest_client().get_training_run(tc.model_id).result()
        if run.corrupted:
            raise TrainingRunCorruptedError(tc.model_id)

    def save(self, tc: TrainingClient, step: int) -> None:
        if self.policy.check_corrupted:
            self.check_corrupted(tc)
        self.saved(
            tc, step, tc.save_state(checkpoint_name(self.policy.checkpoint_prefix, step)).result().path
        )

    def restore(self, path: str, *, fresh: bool = True) -> TrainingClient:
        """A training client on `path` through a fresh ServiceClient (the current one first when not
        `fresh`), waiting for a server that is down (restarting) up to `server_wait_s`."""
        deadline = time.monotonic() + self.policy.server_wait_s
        tries = 0
        while True:
            if fresh or tries:
                old = self.swap_service_client()
                if old is not None:
                    old.close()
            try:
                if self.policy.restore_optimizer:
                    return _client(self.sc.create_training_client_from_state_with_optimizer(path))
                return _client(self.sc.create_training_client_from_state(path))
            except APIConnectionError:
                tries += 1
                if time.monotonic() >= deadline:
                    raise
                _sleep(self.delay(tries))

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

    def recover(
        self, exc: BaseException, tc: TrainingClient, attempts: int
    ) -> tuple[TrainingClient, int, int]:
        """Recover from `exc`: (new training client, step to resume at, attempts used), or raise."""
        while True:
            kind = self.classify(exc, tc)
            ckpt, attempts = self.begin_attempt(exc, kind, tc, attempts)
            assert kind is not None
            _sleep(self.delay(attempts))
            try:
                new_tc = self.restore(ckpt.path)
            except Exception as again:
                self.attempt_failed(kind, again, attempts)
                exc = again
                continue
            self.completed(kind, attempts, ckpt, new_tc)
            return new_tc, ckpt.step, attempts

    # -- async I/O (the same steps, awaited) ------------------------------------------------------------

    async def check_corrupted_async(self, tc: TrainingClient) -> None:
        run = await self.sc.create_rest_client().get_training_run_async(tc.model_id)
        if run.corrupted:
            raise TrainingRunCorruptedError(tc.model_id)

    async def save_async(self, tc: TrainingClient, step: int) -> None:
        if self.policy.check_corrupted:
            await self.check_corrupted_async(tc)
        fut = await tc.save_state_async(checkpoint_name(self.policy.checkpoint_prefix, step))
        self.saved(tc, step, (await fut).path)

    async def restore_async(self, path: str, *, fresh: bool = True) -> TrainingClient:
        deadline = time.monotonic() + self.policy.server_wait_s
        tries = 0
        while True:
            if fresh or tries:
                old = self.swap_service_client()
                if old is not None:
                    await old.aclose()
            try:
                if self.policy.restore_optimizer:
                    return await self.sc.create_training_client_from_state_with_optimizer_async(path)
                return await self.sc.create_training_client_from_state_async(path)
            except APIConnectionError:
                tries += 1
                if time.monotonic() >= deadline:
                    raise
                await _waits.sleep(self.delay(tries))

    async def classify_async(self, exc: BaseException, tc: TrainingClient) -> FailureKind | None:
        kind = classify_failure(exc)
        if kind == "server_error" and self.policy.check_corrupted:
            try:
                await self.check_corrupted_async(tc)
            except TrainingRunCorruptedError:
                return "corrupted"
            except Exception:
                logger.debug("corruption check after a server error failed", exc_info=True)
        return kind

    async def recover_async(
        self, exc: BaseException, tc: TrainingClient, attempts: int
    ) -> tuple[TrainingClient, int, int]:
        while True:
            kind = await self.classify_async(exc, tc)
            ckpt, attempts = self.begin_attempt(exc, kind, tc, attempts)
            assert kind is not None
            await _waits.sleep(self.delay(attempts))
            try:
                new_tc = await self.restore_async(ckpt.path)
            except Exception as again:
                self.attempt_failed(kind, again, attempts)
                exc = again
                continue
            self.completed(kind, attempts, ckpt, new_tc)
            return new_tc, ckpt.step, attempts


def _start_step(
    num_steps: int, training_client: TrainingClient | None, resume_from: str | None, start_step: int | None
) -> int:
    """Check the arguments of run_with_recovery(_async); the step the run starts at."""
    if (training_client is None) == (resume_from is None):
        raise TinkexValidationError(
            "run_with_recovery",
            "needs exactly one of training_client and resume_from",
            "pass the TrainingClient to train, or the tinker:// checkpoint path to resume from",
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 0:
        raise TinkexValidationError("num_steps", f"must be an int >= 0, got {num_steps!r}", "pass e.g. 100")
    if start_step is not None:
        step: int | None = start_step
    elif resume_from is not None:
        step = step_of_checkpoint(resume_from)
        if step is None:
            raise TinkexValidationError(
                "resume_from",
                f"{resume_from!r} does not say which step it was taken at",
                "pass start_step=<steps done at that checkpoint>, or a '<prefix>-step-<N>' checkpoint",
            )
    else:
        step = 0
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= num_steps:
        raise TinkexValidationError(
            "start_step", f"must be in 0..num_steps ({num_steps}), got {step}", "pass a step within the run"
        )
    return step


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
    step = _start_step(num_steps, training_client, resume_from, start_step)
    runner = _Runner(service_client, policy, _new_service_client)
    if resume_from is not None:
        tc = runner.restore(resume_from, fresh=False)
        runner.checkpoint = _Checkpoint(resume_from, step, time.monotonic())
    else:
        assert training_client is not None
        tc = training_client
    attempts = 0
    while True:
        try:
            if runner.due(step, num_steps):
                runner.save(tc, step)
            if step >= num_steps:
                return runner.result(tc, step)
            train_step(tc, step)
            step += 1
            attempts = 0
        except Exception as exc:
            tc, step, attempts = runner.recover(exc, tc, attempts)


async def run_with_recovery_async(
    service_client: ServiceClient,
    train_step: AsyncTrainStep,
    *,
    num_steps: int,
    training_client: TrainingClient | None = None,
    resume_from: str | None = None,
    start_step: int | None = None,
    policy: RecoveryPolicy | None = None,
    _new_service_client: Callable[[ServiceClient], ServiceClient] = _clone_service_client,
) -> RecoveryResult:
    """Async twin of `run_with_recovery`: `train_step(training_client, step)` is a coroutine function.

    Example::

        async def step(tc, i):
            fb = await tc.forward_backward_async(batches[i], "cross_entropy")
            opt = await tc.optim_step_async(tinkex.AdamParams(learning_rate=1e-4))
            await fb; await opt

        result = await tinkex.run_with_recovery_async(sc, step, num_steps=100, training_client=tc)
    """
    policy = policy if policy is not None else RecoveryPolicy()
    step = _start_step(num_steps, training_client, resume_from, start_step)
    runner = _Runner(service_client, policy, _new_service_client)
    if resume_from is not None:
        tc = await runner.restore_async(resume_from, fresh=False)
        runner.checkpoint = _Checkpoint(resume_from, step, time.monotonic())
    else:
        assert training_client is not None
        tc = training_client
    attempts = 0
    while True:
        try:
            if runner.due(step, num_steps):
                await runner.save_async(tc, step)
            if step >= num_steps:
                return runner.result(tc, step)
            await train_step(tc, step)
            step += 1
            attempts = 0
        except Exception as exc:
            tc, step, attempts = await runner.recover_async(exc, tc, attempts)


def _client(created: Any) -> TrainingClient:
    # Client creation answers a future of the client (tinker 0.38); a ServiceClient stand-in may
    # answer the client itself.
    from tinkex._runtime._futures import APIFuture

    client: TrainingClient = created.result() if isinstance(created, APIFuture) else created
    return client
