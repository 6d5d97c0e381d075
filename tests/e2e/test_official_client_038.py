"""The official tinker==0.38.0 client, unchanged and in its own virtualenv, runs a full user flow
(official_038_flow.py) against `tinkex serve --backend torch` on the tiny local model.

The 0.38 client cannot share the project venv (that pins tinker 0.7.0): `make setup` builds
`.venv-tinker038` (TINKEX_TINKER038_PYTHON names another interpreter). Without it the test skips, so
it can run outside make; under make the venv is always there.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def tinkex_serve(*args: str, data_dir: Path) -> Iterator[str]:
    """`tinkex serve` (python -m tinkex_server) on a free port; yields its base URL, stops it after."""
    cmd = [sys.executable, "-m", "tinkex_server", "--port", "0", "--data-dir", str(data_dir), *args]
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=offline_env()
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise AssertionError(f"tinkex serve exited with {proc.returncode}")
            found = re.search(r"listening on (http://\S+)", line)
            url = found.group(1) if found else None
        assert url is not None, "tinkex serve did not say where it listens within 120 s"
        # keep draining its log so a chatty server never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in proc.stderr or []], daemon=True).start()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_official_038_client_runs_the_full_flow_on_the_torch_backend(tmp_path: Path) -> None:
    python = tinker038_python()
    if python is None:
        pytest.skip("no tinker 0.38 virtualenv (make setup creates .venv-tinker038)")
    from tinkex_server import DEFAULT_DEV_API_KEY

    # --zstd-fwdbwd: the client compresses its forward_backward bodies, so that path runs too
    with tinkex_serve("--backend", "torch", "--zstd-fwdbwd", data_dir=tmp_path / "data") as base_url:
        proc = subprocess.run(
            [str(python), str(FLOW), base_url, DEFAULT_DEV_API_KEY, "tinkex/micro-llama"],
            capture_output=True, text=True, timeout=300, env=offline_env(), cwd=tmp_path,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "FLOW038 OK" in proc.stdout
