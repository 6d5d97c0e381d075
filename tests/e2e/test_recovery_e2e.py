"""Recovery automation end to end: the local server (null backend, which checkpoints its optimizer
step counter) runs in a subprocess; mid-run it is killed with SIGKILL and restarted on the same data
dir and port, and `run_with_recovery` still finishes with exactly as many optimizer steps applied as
an uninterrupted run: no step lost, none applied twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tinkex_server")

import tinkex
from tinkex.types import AdamParams, Datum, ModelInput
from tinkex_server import DEFAULT_DEV_API_KEY

pytestmark = pytest.mark.e2e

NUM_STEPS = 10
EVERY = 3
KILL_AT = 5  # killed after step 5's forward_backward, before its optim_step: its gradient is lost


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """`python -m tinkex_server` on a fixed port and data dir, killable and restartable."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "tinkex_server", "--backend", "null", "--port", str(self.port)]
        cmd += ["--data-dir", str(self.data_dir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server exited at start"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start within 60 s")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    srv = _Server(tmp_path / "data", _free_port())
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _batch(step: int) -> list[Datum]:
    tokens = [1 + step, 2, 3, 4 + step, 5]
    return [
        Datum(
            model_input=ModelInput.from_ints(tokens[:-1]),
            loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * (len(tokens) - 1)},
        )
    ]


def _run(
    server: _Server, kill_at: int | None, max_retries: int | None = None, restart_after: float = 0.5
) -> tuple[tinkex.RecoveryResult, list[tuple[int, float]], list[Any]]:
    applied: list[tuple[int, float]] = []  # (step, the server's optimizer step counter after it)
    events: list[Any] = []
    killed = threading.Event()

    def train_step(tc: tinkex.TrainingClient, step: int) -> None:
        tc.forward_backward(_batch(step), "cross_entropy").result(timeout=120)
        if step == kill_at and not killed.is_set():
            killed.set()
            server.kill()
            # Restarted while the client retries: the loop sees a connection loss, then a server
            # that no longer has the model.
            threading.Timer(restart_after, server.start).start()
        opt = tc.optim_step(AdamParams(learning_rate=1e-3)).result(timeout=120)
        assert opt.metrics is not None
        applied.append((step, opt.metrics["step:max"]))

    sc = tinkex.ServiceClient(
        api_key=DEFAULT_DEV_API_KEY,
        base_url=server.base_url,
        telemetry=False,
        max_retries=max_retries,
        event_hooks=[lambda e: events.append(e) if e.kind == "recovery" else None],
    )
    try:
        model = sc.get_server_capabilities().supported_models[0].model_name
        tc = sc.create_lora_training_client(base_model=model, rank=4, seed=0)
        policy = tinkex.RecoveryPolicy(checkpoint_every_steps=EVERY, backoff_base_s=0.1, server_wait_s=60)
        result = tinkex.run_with_recovery(
            sc, train_step, num_steps=NUM_STEPS, training_client=tc, policy=policy
        )
        result.close()
    finally:
        sc.close()
    return result, applied, events


def _persisted_step(data_dir: Path, checkpoint_path: str) -> int:
    """The optimizer step counter the server wrote into the final checkpoint."""
    name = checkpoint_path.rsplit("/", 1)[-1]
    found = [p for p in data_dir.rglob("null_state.txt") if p.parent.name == name]
    assert len(found) == 1, found
    return int(found[0].read_text().split()[2])


def test_uninterrupted_run_applies_every_step_once(server: _Server) -> None:
    result, applied, events = _run(server, kill_at=None)
    assert result.steps_completed == NUM_STEPS
    assert result.recoveries == 0
    assert applied == [(s, float(s + 1)) for s in range(NUM_STEPS)]
    assert result.last_checkpoint is not None
    assert result.last_checkpoint.endswith("recovery-step-00000010")
    assert _persisted_step(server.data_dir, result.last_checkpoint) == NUM_STEPS
    assert [e.attributes["step"] for e in events if e.operation == "checkpoint"] == [0, 3, 6, 9, 10]


@pytest.mark.parametrize(
    ("max_retries", "kind"),
    [
        # The SDK's own retries outlast the restart: the step fails on a server without the model.
        (None, "model_lost"),
        # No retries: the step fails on the refused connection, and the recovery waits for the server.
        (0, "connection"),
    ],
)
def test_kill_9_and_restart_mid_run_loses_and_repeats_no_step(
    server: _Server, max_retries: int | None, kind: str
) -> None:
    result, applied, events = _run(server, kill_at=KILL_AT, max_retries=max_retries, restart_after=1.5)
    assert result.steps_completed == NUM_STEPS
    assert result.recoveries == 1
    # Steps 0-4 ran, step 5 died with the server, the run resumed from the step-3 checkpoint with its
    # optimizer state (counter 3), so steps 3..9 ran on top of it and every optimizer step number
    # matches the step applied: the final state has exactly NUM_STEPS steps.
    done = [s for s, _ in applied]
    assert done == [0, 1, 2, 3, 4, *range(3, NUM_STEPS)]
    assert all(counter == s + 1 for s, counter in applied)
    assert result.last_checkpoint is not None
    assert _persisted_step(server.data_dir, result.last_checkpoint) == NUM_STEPS
    ops = [e.operation for e in events]
    assert "recovery_started" in ops
    assert "recovery_completed" in ops
    started = next(e for e in events if e.operation == "recovery_started")
    assert started.attributes["failure_kind"] == kind
    completed = next(e for e in events if e.operation == "recovery_completed")
    assert completed.attributes["step"] == 3
    assert completed.attributes["path"].endswith("recovery-step-00000003")


def test_the_async_runner_survives_kill_9_the_same_way(server: _Server) -> None:
    applied: list[tuple[int, float]] = []
    killed = threading.Event()

    async def train_step(tc: tinkex.TrainingClient, step: int) -> None:
        await (await tc.forward_backward_async(_batch(step), "cross_entropy"))
        if step == KILL_AT and not killed.is_set():
            killed.set()
            server.kill()
            threading.Timer(1.0, server.start).start()
        opt = await (await tc.optim_step_async(AdamParams(learning_rate=1e-3)))
        assert opt.metrics is not None
        applied.append((step, opt.metrics["step:max"]))

    async def main() -> tinkex.RecoveryResult:
        async with tinkex.ServiceClient(
            api_key=DEFAULT_DEV_API_KEY, base_url=server.base_url, telemetry=False
        ) as sc:
            caps = await sc.get_server_capabilities_async()
            tc = await sc.create_lora_training_client_async(caps.supported_models[0].model_name, rank=4)
            policy = tinkex.RecoveryPolicy(checkpoint_every_steps=EVERY, backoff_base_s=0.1, server_wait_s=60)
            result = await tinkex.run_with_recovery_async(
                sc, train_step, num_steps=NUM_STEPS, training_client=tc, policy=policy
            )
            await asyncio.to_thread(result.close)
            return result

    result = asyncio.run(main())
    assert result.recoveries == 1
    assert [s for s, _ in applied] == [0, 1, 2, 3, 4, *range(3, NUM_STEPS)]
    assert all(counter == s + 1 for s, counter in applied)
    assert result.last_checkpoint is not None
    assert _persisted_step(server.data_dir, result.last_checkpoint) == NUM_STEPS
