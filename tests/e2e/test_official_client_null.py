"""The official tinker==0.7.0 client runs its training, sampling, checkpoint and RestClient flows,
unchanged, against the local server with the null backend (in a subprocess: the client leaves
daemon threads and telemetry behind)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
FLOW = Path(__file__).with_name("official_client_flow.py")


def test_official_client_flows_against_the_null_backend() -> None:
    pytest.importorskip("tinker")
    proc = subprocess.run(
        [sys.executable, str(FLOW), "null", "tinkex/null", "3"], capture_output=True, text=True, timeout=170
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "FLOW OK backend=null" in proc.stdout


def test_official_client_survives_injected_faults_without_double_applying() -> None:
    pytest.importorskip("tinker")
    faults = "5xx=0.1,drop=0.05,delay=0.1@50ms,seed=3"
    proc = subprocess.run(
        [sys.executable, str(FLOW), "null", "tinkex/null", "10", faults],
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "FLOW OK backend=null steps=10" in proc.stdout
    assert "injected fault" in proc.stderr  # the client did meet (and retry) injected 503s
