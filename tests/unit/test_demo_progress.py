"""The demo's progress when stdout is not a terminal (a CI log, `| tee`): whole lines, a few of
them, never a carriage-return redraw per step."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from types import ModuleType

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the demo sets it at import; keep the test's env as it was
    spec = importlib.util.spec_from_file_location("tinkex_demo_under_test", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plain_progress_prints_a_compact_line_every_ten_steps(demo: ModuleType) -> None:
    out = io.StringIO()
    ticks = iter(float(i) * 0.1 for i in range(1000))  # 0.1 s per step: never a time-based line
    progress = demo.PlainProgress(25, out, clock=lambda: next(ticks))
    for step in range(25):
        progress.update(step, 5.0 - step * 0.1)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split()[1] for line in lines] == ["1/25", "11/25", "21/25", "25/25"]
    assert lines[-1].startswith("step 25/25  loss 2.600  ")
    assert lines[-1].endswith("eta 0 s")


def test_plain_progress_speaks_up_after_seconds_of_silence(demo: ModuleType) -> None:
    out = io.StringIO()
    now = [0.0]
    progress = demo.PlainProgress(100, out, clock=lambda: now[0])
    progress.update(0, 1.0)
    now[0] = demo.PLAIN_EVERY_S - 0.1
    progress.update(1, 1.0)
    now[0] = demo.PLAIN_EVERY_S + 0.1
    progress.update(2, 1.0)
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["1/100", "3/100"]
