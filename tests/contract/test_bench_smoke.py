"""The bench scripts keep working on small sizes: encode_forward_backward (both encoders send the same
body) and client_roundtrip (each SDK measured in its own process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ._spec import ROOT


def test_encode_bench_runs_and_both_sides_send_the_same_body() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "encode_forward_backward.py"),
            "--datums",
            "2",
            "--tokens",
            "64",
            "--runs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    # The script asserts the two bodies are equal (modulo the chunk tag tinkex sends) before timing.
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "encode -> httpx.Request" in proc.stdout


def test_client_roundtrip_bench_runs_each_sdk_in_its_own_process() -> None:
    pytest.importorskip("tinker")
    pytest.importorskip("tinkex_server")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "client_roundtrip.py"), "--repeats", "1",
         "--datums", "2", "--tokens", "32", "--samples", "4"],
        capture_output=True, text=True, timeout=110, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "each SDK runs alone in its own process" in proc.stdout
    assert "4 concurrent samples, client CPU (ms)" in proc.stdout


def test_server_forward_backward_bench_runs_and_both_paths_agree() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "server_forward_backward.py"), "--datums", "2", "--tokens", "64",
         "--runs", "1"],
        capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    # The script asserts the protobuf and JSON paths compute the same loss before timing.
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "protobuf" in proc.stdout


_OFFICIAL_038 = ROOT / ".venv-tinker038" / "bin" / "python"
_needs_038 = pytest.mark.skipif(not _OFFICIAL_038.exists(), reason=".venv-tinker038 not built (make setup)")


@_needs_038
def test_encode_038_bench_runs_and_both_sides_send_the_same_message() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "encode_forward_backward_038.py"), "--datums", "2", "--tokens", "64",
         "--runs", "1"],
        capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    # The script asserts tinkex's body and the official 0.38 body parse to the same message.
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tinker 0.38.0 median" in proc.stdout
    assert "numpy" in proc.stdout


@_needs_038
def test_client_roundtrip_bench_against_the_official_038_client() -> None:
    pytest.importorskip("tinkex_server")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "client_roundtrip.py"), "--official", "0.38", "--repeats", "1",
         "--datums", "2", "--tokens", "32", "--samples", "4"],
        capture_output=True, text=True, timeout=110, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tinker 0.38.0" in proc.stdout
    assert "4 concurrent samples, client CPU (ms)" in proc.stdout


@_needs_038
def test_import_time_bench_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_time.py"), "--runs", "1"],
        capture_output=True, text=True, timeout=110, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tinker 0.38.0" in proc.stdout
