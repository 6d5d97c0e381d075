"""The official tinker==0.7.0 client trains the tiny local model for a few steps through the torch
backend (the loss falls), samples reproducibly, and round-trips checkpoints (in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(400)]
FLOW = Path(__file__).with_name("official_client_flow.py")


def test_official_client_trains_the_micro_model_with_the_torch_backend() -> None:
    pytest.importorskip("tinker")
    pytest.importorskip("torch")
    proc = subprocess.run(
        [sys.executable, str(FLOW), "torch", "tinkex/micro-llama", "5"],
        capture_output=True,
        text=True,
        timeout=390,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},  # never reach a hub
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "FLOW OK backend=torch" in proc.stdout
