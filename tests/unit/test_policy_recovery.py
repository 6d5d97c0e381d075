"""Recovery automation: the pure decisions (table-driven) and the runner's control flow over fake
clients (corrupted runs, bounded attempts, errors that must not be recovered from)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import tinkex
from tinkex._exceptions import (
    APIConnectionError,
    BadRequestError,
    ClientClosedError,
    FutureTimeoutError,
    GoneError,
    InternalServerError,
    NotFoundError,
    RequestFailedError,
    SessionLostError,
    TinkexValidationError,
)
from tinkex._policy._recovery import (
    TrainingRunCorruptedError,
    checkpoint_name,
    classify_failure,
    recovery_delay,
    should_checkpoint,
    step_of_checkpoint,
)
from tinkex._runtime._waits import zero_waits


def _status(cls: type[Any], status: int, body: object) -> BaseException:
    return cls(f"POST /api/v1/x: HTTP {status}", response=None, body=body, status_code=status)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (SessionLostError(session_id="s-1"), "session_lost"),
        (TrainingRunCorruptedError("run-1"), "corrupted"),
        (
            _status(
                NotFoundError, 404, {"detail": "model m-1 is not loaded (unloaded, or the server restarted)"}
            ),
            "model_lost",
        ),
        (_status(BadRequestError, 400, {"detail": "Unknown model id m-1"}), "model_lost"),
        (RequestFailedError("failed: model m-1 not found", "r-1", "user"), "model_lost"),
        (
            RequestFailedError(
                "CreateModel request r-1 failed on the server: base weights not found", "r-1", "user"
            ),
            None,
        ),
        (RequestFailedError("x", "r-1", "user", body={"error": "Model m-1 is not loaded"}), "model_lost"),
        # The SDK's prefix names the operation: "create_model ... not found" is about something else.
        (
            NotFoundError(
                "POST /api/v1/create_model: HTTP 404 not found",
                response=None,
                body={"detail": "no such checkpoint"},
                status_code=404,
            ),
            None,
        ),
        (_status(GoneError, 410, {"detail": "future expired"}), "server_restarted"),
        (APIConnectionError(message="connection refused"), "connection"),
        (_status(InternalServerError, 503, {"detail": "overloaded"}), "server_error"),
        (RequestFailedError("failed: out of memory", "r-1", "server"), "server_error"),
        (RequestFailedError("failed: weights has 3 values", "r-1", "user"), None),
        (_status(BadRequestError, 400, {"detail": "loss_fn_inputs lacks weights"}), None),
        (_status(NotFoundError, 404, {"detail": "checkpoint tinker://r/weights/x not found"}), None),
        (TinkexValidationError("loss_fn", "unknown", "fix"), None),
        (FutureTimeoutError("deadline", request_id="r", timeout=1.0), None),
        (ClientClosedError(), None),
        (ValueError("a bug in the step"), None),
        (KeyError("batch"), None),
    ],
)
def test_classify_failure(exc: BaseException, kind: str | None) -> None:
    assert classify_failure(exc) == kind


@pytest.mark.parametrize(
    ("steps_done", "last", "since", "every_steps", "every_seconds", "at_end", "expected"),
    [
        (0, None, 0.0, 10, None, True, True),  # no checkpoint yet: always
        (7, None, 0.0, 10, None, True, True),  # resuming without one: always
        (10, 10, 0.0, 10, None, True, False),  # never twice at the same step
        (10, 0, 0.0, 10, None, True, True),
        (11, 10, 0.0, 10, None, True, False),
        (20, 10, 0.0, 10, None, True, True),
        (25, 20, 0.0, 10, None, True, True),  # the end (num_steps=25)
        (25, 20, 0.0, 10, None, False, False),  # ... unless at_end is off
        (13, 10, 59.0, None, 60.0, True, False),
        (13, 10, 60.0, None, 60.0, True, True),
        (13, 10, 60.0, 10, 60.0, True, True),  # either schedule triggers
        (13, 10, 0.0, 10, 60.0, True, False),
    ],
)
def test_should_checkpoint(
    steps_done: int,
    last: int | None,
    since: float,
    every_steps: int | None,
    every_seconds: float | None,
    at_end: bool,
    expected: bool,
) -> None:
    got = should_checkpoint(
        steps_done,
        num_steps=25,
        last_checkpoint_step=last,
        seconds_since_checkpoint=since,
        every_steps=every_steps,
        every_seconds=every_seconds,
        at_end=at_end,
    )
    assert got is expected


@pytest.mark.parametrize(
    ("path", "step"),
    [
        ("recovery-step-00000040", 40),
        ("tinker://run-1:train:0/weights/recovery-step-00000003", 3),
        ("tinker://run-1/weights/mine-step-7", 7),
        ("tinker://run-1/weights/recovery-step-12/", 12),
        ("tinker://run-1/weights/final", None),
        ("tinker://run-1/weights/step-x", None),
    ],
)
def test_step_of_checkpoint(path: str, step: int | None) -> None:
    assert step_of_checkpoint(path) == step


def test_checkpoint_name_round_trips() -> None:
    for step in (0, 1, 99, 123456789):
        assert step_of_checkpoint(checkpoint_name("run", step)) == step


@pytest.mark.parametrize(("attempt", "delay"), [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (5, 5.0), (99, 5.0)])
def test_recovery_delay(attempt: int, delay: float) -> None:
    assert recovery_delay(attempt, base=0.5, cap=5.0) == delay


@pytest.mark.parametrize(
    "kwargs",
    [
        {"checkpoint_every_steps": 0},
        {"checkpoint_every_seconds": -1.0},
        {"max_attempts": -1},
        {"checkpoint_prefix": ""},
        {"checkpoint_prefix": "a/b"},
    ],
)
def test_policy_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TinkexValidationError, match="RecoveryPolicy"):
        tinkex.RecoveryPolicy(**kwargs)


# -- the runner over fake clients ------------------------------------------------------------------------


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, timeout: float | None = None) -> Any:
        return self.value


class FakeServer:
    """Counts optimizer steps per model; save/restore copy the counter, like the null backend."""

    def __init__(self) -> None:
        self.checkpoints: dict[str, int] = {}
        self.steps: dict[str, int] = {}
        self.corrupted: set[str] = set()
        self.restore_failures: list[BaseException] = []
        self.models = 0
        self.clients: list[FakeServiceClient] = []

    def new_model(self, steps: int) -> FakeTraining:
        self.models += 1
        model_id = f"m{self.models}"
        self.steps[model_id] = steps
        return FakeTraining(self, model_id)


class FakeTraining:
    def __init__(self, server: FakeServer, model_id: str) -> None:
        self.server, self.model_id = server, model_id

    def save_state(self, name: str) -> _Done:
        path = f"tinker://{self.model_id}/weights/{name}"
        self.server.checkpoints[path] = self.server.steps[self.model_id]
        return _Done(SimpleNamespace(path=path))

    def step(self) -> int:
        self.server.steps[self.model_id] += 1
        return self.server.steps[self.model_id]


class FakeServiceClient:
    def __init__(self, server: FakeServer, events: list[Any]) -> None:
        self.server = server
        self.closed = False
        self._rt = SimpleNamespace(
            observer=SimpleNamespace(emit=lambda kind, op, **a: events.append((kind, op, a)))
        )
        server.clients.append(self)

    def create_rest_client(self) -> Any:
        server = self.server
        return SimpleNamespace(
            get_training_run=lambda rid: _Done(SimpleNamespace(corrupted=rid in server.corrupted))
        )

    def create_training_client_from_state_with_optimizer(self, path: str) -> FakeTraining:
        if self.server.restore_failures:
            raise self.server.restore_failures.pop(0)
        return self.server.new_model(self.server.checkpoints[path])

    def close(self) -> None:
        self.closed = True


def _run(server: FakeServer, step_fn: Any, num_steps: int, **kw: Any) -> tuple[Any, list[Any]]:
    events: list[Any] = []
    sc = FakeServiceClient(server, events)
    policy = kw.pop("policy", tinkex.RecoveryPolicy(checkpoint_every_steps=2))
    with zero_waits():
        result = tinkex.run_with_recovery(
            sc,  # type: ignore[arg-type]
            step_fn,
            num_steps=num_steps,
            policy=policy,
            _new_service_client=lambda old: FakeServiceClient(server, events),  # type: ignore[arg-type,return-value]
            **kw,
        )
    return result, events


def test_a_run_marked_corrupted_restarts_from_the_last_good_checkpoint() -> None:
    server = FakeServer()
    applied: list[tuple[int, int]] = []

    def step(tc: FakeTraining, i: int) -> None:
        applied.append((i, tc.step()))
        if i == 4 and tc.model_id == "m1":
            server.corrupted.add("m1")  # seen at the next checkpoint, which is then not taken

    result, events = _run(server, step, 7, training_client=server.new_model(0))
    assert result.steps_completed == 7
    assert result.recoveries == 1
    assert [i for i, _ in applied] == [0, 1, 2, 3, 4, 5, 4, 5, 6]
    assert all(counter == i + 1 for i, counter in applied)
    started = [a for _, op, a in events if op == "recovery_started"]
    assert started[0]["failure_kind"] == "corrupted"
    assert started[0]["step"] == 4
    assert result.owns_service_client
    assert server.checkpoints[result.last_checkpoint] == 7
    assert all(c.closed for c in server.clients[1:-1])  # replaced runner-made clients are closed


def test_gives_up_after_max_attempts_with_the_checkpoint_to_resume_from() -> None:
    server = FakeServer()
    server.restore_failures = [APIConnectionError(message="refused")] * 10

    def step(tc: FakeTraining, i: int) -> None:
        if i == 3:
            raise SessionLostError(session_id="s-1")
        tc.step()

    policy = tinkex.RecoveryPolicy(checkpoint_every_steps=2, max_attempts=2, server_wait_s=0)
    with pytest.raises(tinkex.RecoveryExhaustedError) as info:
        _run(server, step, 6, training_client=server.new_model(0), policy=policy)
    err = info.value
    assert err.attempts == 2
    assert err.resume_step == 2
    assert err.last_checkpoint == "tinker://m1/weights/recovery-step-00000002"
    assert "resume_from='tinker://m1/weights/recovery-step-00000002'" in str(err)
    assert isinstance(err.__cause__, APIConnectionError)


def test_a_completed_step_resets_the_attempt_count() -> None:
    server = FakeServer()
    fails = {3, 5}

    def step(tc: FakeTraining, i: int) -> None:
        if i in fails:
            fails.discard(i)
            raise APIConnectionError(message="reset")
        tc.step()

    policy = tinkex.RecoveryPolicy(checkpoint_every_steps=2, max_attempts=1)
    result, _ = _run(server, step, 7, training_client=server.new_model(0), policy=policy)
    assert result.recoveries == 2
    assert server.checkpoints[result.last_checkpoint] == 7


def test_errors_recovery_cannot_cure_propagate_unchanged() -> None:
    server = FakeServer()

    def step(tc: FakeTraining, i: int) -> None:
        raise KeyError("no batch")

    with pytest.raises(KeyError):
        _run(server, step, 3, training_client=server.new_model(0))


def test_resume_from_starts_at_the_step_in_the_checkpoint_name() -> None:
    server = FakeServer()
    server.checkpoints["tinker://old/weights/recovery-step-00000004"] = 4
    seen: list[int] = []
    result, _ = _run(
        server,
        lambda tc, i: seen.append(i) or tc.step(),
        6,
        resume_from="tinker://old/weights/recovery-step-00000004",
    )
    assert seen == [4, 5]
    assert server.checkpoints[result.last_checkpoint] == 6


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({}, "run_with_recovery"),
        ({"resume_from": "tinker://old/weights/final"}, "resume_from"),
        ({"resume_from": "tinker://old/weights/recovery-step-00000009"}, "start_step"),
    ],
)
def test_bad_arguments_name_the_field(kw: dict[str, Any], field: str) -> None:
    server = FakeServer()
    server.checkpoints["tinker://old/weights/final"] = 0
    server.checkpoints["tinker://old/weights/recovery-step-00000009"] = 9
    with pytest.raises(TinkexValidationError) as info:
        _run(server, lambda tc, i: None, 5, **kw)
    assert info.value.field == field
