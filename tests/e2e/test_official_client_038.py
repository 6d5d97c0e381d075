"""The official tinker==0.38.0 client, unchanged and in its own virtualenv, runs a full user flow
(official_038_flow.py) against `tinkex serve --backend torch` on the tiny local model.

The 0.38 client cannot share the project venv (that pins tinker 0.7.0): `make setup` builds
`.venv-tinker038` (TINKEX_TINKER038_PYTHON names another interpreter). Without it the test skips, so
it can run outside make; under make the venv is always there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(400)]
ROOT = Path(__file__).resolve().parents[2]
FLOW = Path(__file__).with_name("official_038_flow.py")


def tinker038_python() -> Path | None:
    """The interpreter of the tinker 0.38 virtualenv, or None when there is none."""
    named = os.environ.get("TINKEX_TINKER038_PYTHON")
    path = Path(named) if named else ROOT / ".venv-tinker038" / "bin" / "python"
    return path if path.is_file() else None


def offline_env() -> dict[str, str]:
    # never reach a hub; the 0.38 client's telemetry stays local too
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TINKER_TELEMETRY": "0"}


def test_official_038_client_runs_the_full_flow_on_the_torch_backend(tmp_path: Path) -> None:
    python = tinker038_python()
    if python is None:
        pytest.skip("no tinker 0.38 virtualenv (make setup creates .venv-tinker038)")
    from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

    with LocalServer(
        backend="torch", data_dir=tmp_path / "data", long_poll_s=1.0, zstd_fwdbwd=True
    ) as server:
        proc = subprocess.run(
            [str(python), str(FLOW), server.base_url, DEFAULT_DEV_API_KEY, "tinkex/micro-llama"],
            capture_output=True, text=True, timeout=390, env=offline_env(), cwd=tmp_path,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "FLOW038 OK" in proc.stdout
    assert sys.executable  # the server ran in this interpreter, the client in the other
