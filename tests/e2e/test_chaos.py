"""Chaos: a training loop through the public SDK against the local server (null backend, in process)
while the server injects 5xx, 429, dropped connections, delays and expired futures. The backend
counts what it applied, so the test can assert that every requested forward_backward and optim_step
was applied exactly once: a retry never duplicates a step, and nothing is lost (issue 12)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

pytest.importorskip("tinkex_server")

import tinkex
from tinkex._runtime import _waits
from tinkex.types import AdamParams, Datum, ModelInput
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
from tinkex_server.backends.null import NullBackend

pytestmark = pytest.mark.e2e

STEPS = 40
FAULTS = "5xx=0.15,429=0.1@0.01s,drop=0.1,delay=0.1@5ms,expire=0.05,pending=try_again"


class CountingBackend(NullBackend):
    """The null backend, counting each operation it applied (a test-only view: the server itself
    exposes nothing new). Backend calls run one at a time, so plain counters suffice; the lock only
    makes reading them from the test thread safe."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.applied: Counter[str] = Counter()
        self.steps: dict[str, int] = {}

    def forward_backward(
        self,
        model_id: str,
        data: list[dict[str, Any]],
        loss_fn: str,
        loss_fn_config: dict[str, float] | None,
        backward: bool,
    ) -> dict[str, Any]:
        out = super().forward_backward(model_id, data, loss_fn, loss_fn_config, backward)
        with self.lock:
            self.applied["forward_backward" if backward else "forward"] += 1
        return out

    def optim_step(self, model_id: str, adam: Any) -> dict[str, float]:
        out = super().optim_step(model_id, adam)
        with self.lock:
            self.applied["optim_step"] += 1
            self.steps[model_id] = int(out["step:max"])
        return out

    def loaded(self) -> list[str]:
        with self.lock:
            return list(self._models)


def _datum(i: int) -> Datum:
    tokens = [(i * 7 + k) % 50 + 1 for k in range(9)]
    return Datum(
        model_input=ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * 8},
    )


def _create(sc: tinkex.ServiceClient) -> tuple[tinkex.TrainingClient, int]:
    # A 410 on create_model says "create the training client again": the SDK and the server free
    # the model whose result was lost, so retrying leaves exactly one model loaded.
    for attempt in range(20):
        try:
            return sc.create_lora_training_client(base_model="tinkex/null", rank=4), attempt
        except tinkex.GoneError:
            continue
    raise AssertionError("create_model expired 20 times in a row")


@pytest.mark.parametrize("seed", [1, 2])
def test_every_step_is_applied_exactly_once_under_injected_faults(seed: int) -> None:
    backend = CountingBackend()
    requested: Counter[str] = Counter()
    gone: Counter[str] = Counter()
    hints: set[bool] = set()
    with (
        _waits.zero_waits(),
        LocalServer(backend=backend, faults=f"{FAULTS},seed={seed}", long_poll_s=0.5) as server,
        tinkex.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY, telemetry=False) as sc,
    ):
        tc, create_retries = _create(sc)
        for step in range(STEPS):
            # Pipelined as a training loop does: both on the wire before either result is read.
            fb = tc.forward_backward([_datum(step), _datum(step + 100)], "cross_entropy")
            opt = tc.optim_step(AdamParams(learning_rate=1e-3))
            requested["forward_backward"] += 1
            requested["optim_step"] += 1
            for name, fut in (("forward_backward", fb), ("optim_step", opt)):
                try:
                    fut.result(timeout=60)
                except tinkex.GoneError as exc:
                    # Accepted, result lost: the SDK says not to resubmit, and this loop obeys.
                    hints.add("do not submit it again" in str(exc))
                    gone[name] += 1
        # A forward is ordered after every step and changes nothing, so once one returns, every step
        # before it has run; resubmitting it after a 410 is safe.
        for _ in range(20):
            try:
                tc.forward([_datum(0)], "cross_entropy").result(timeout=60)
                break
            except tinkex.GoneError:
                continue
        else:
            raise AssertionError("no forward got through")
        assert hints <= {True}, "every lost training result said not to resubmit"
        applied = dict(backend.applied)
        applied.pop("forward", None)
        assert applied == dict(requested), (applied, dict(requested), dict(gone))
        assert backend.steps == {tc.model_id: STEPS}
        # Models whose creation result was lost were unloaded; only the one in use is left.
        assert backend.loaded() == [tc.model_id], (backend.loaded(), create_retries)
    print(
        f"chaos seed={seed}: requested {dict(requested)}, applied {applied}, "
        f"results lost to 410 {dict(gone)}, create_model retries {create_retries}"
    )
