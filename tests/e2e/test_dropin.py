"""A script written for the official SDK runs unchanged with ``import tinkex as tinker``.

The same file runs as written (official client: proves the local server is wire-compatible) and with
its import swapped (proves tinkex is a drop-in), each in its own process against one local server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("tinkex_server")
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("dropin_script.py")
OFFICIAL_IMPORT = "import tinker  # the only line a user changes to switch SDKs"
TINKEX_IMPORT = "import tinkex as tinker  # the only line a user changes to switch SDKs"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with LocalServer(backend="null", long_poll_s=0.5) as server:
        yield server.base_url


def run_script(source: str, base_url: str, tmp_path: Path) -> str:
    script = tmp_path / "script.py"
    script.write_text(source)
    env = {
        **os.environ,
        "TINKER_BASE_URL": base_url,
        "TINKER_API_KEY": DEFAULT_DEV_API_KEY,
        "TINKER_TELEMETRY": "0",
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    return done.stdout


def test_official_client_runs_the_script(server_url: str, tmp_path: Path) -> None:
    source = SCRIPT.read_text()
    assert OFFICIAL_IMPORT in source
    out = run_script(source, server_url, tmp_path)
    assert "DROPIN-OK" in out


def test_tinkex_runs_the_same_script_unchanged(server_url: str, tmp_path: Path) -> None:
    source = SCRIPT.read_text().replace(OFFICIAL_IMPORT, TINKEX_IMPORT)
    out = run_script(source, server_url, tmp_path)
    assert "DROPIN-OK" in out
    official = run_script(SCRIPT.read_text(), server_url, tmp_path)
    summary = [line for line in out.splitlines() if line.startswith("SUMMARY")]
    assert summary == [line for line in official.splitlines() if line.startswith("SUMMARY")]
