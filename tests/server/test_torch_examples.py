"""The shipped examples run end to end against the in-process torch server (short settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=280, check=False
    )


def test_demo_trains_samples_saves_downloads_and_plots(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    proc = _run([str(ROOT / "examples" / "demo.py"), "--steps", "4", "--out", str(out),
                 "--expect-loss-below", "100"], tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    losses = json.loads((out / "losses.json").read_text())
    assert len(losses) == 4
    assert losses[0] > 4.0  # a random base model: about ln(259) nats per token
    assert losses[-1] < losses[0]
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "exact-match accuracy" in proc.stdout
    # Not a terminal: whole progress lines (first and last step), no bar redrawn with carriage returns.
    assert "\r" not in proc.stdout + proc.stderr
    assert [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("step ")] == [
        "1/4",
        "4/4",
    ]
    extracted = [p for p in out.iterdir() if p.is_dir()]
    assert len(extracted) == 1
    assert {"adapter_config.json", "adapter_model.safetensors"} <= {p.name for p in extracted[0].iterdir()}


def test_rl_example_reports_a_reward_per_iteration(tmp_path: Path) -> None:
    proc = _run([str(ROOT / "examples" / "rl_importance_sampling.py"), "--iterations", "2"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("iteration")]
    assert len(lines) == 2
    assert all("mean reward" in line for line in lines)
