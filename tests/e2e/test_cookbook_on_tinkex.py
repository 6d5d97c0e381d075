"""tinker-cookbook 0.6.1's supervised and RL trainers, unchanged, run to completion on tinkex through
`python -m tinkex.as_tinker` against a local server on the tiny local model, offline: the same
driver (cookbook_flow.py) test_cookbook_038.py runs on the official tinker 0.38 client.

They run in the tinker 0.38 virtualenv with tinkex from this checkout (see test_038_flow_on_tinkex.py,
whose harness test proves that setup on the API tinkex has today). Skipped without the venv.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_038_flow_on_tinkex import assert_ran_on_tinkex, require_tinker038, tinkex_pythonpath_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(400)]
FLOW = Path(__file__).with_name("cookbook_flow.py")
MODEL = "tinkex/micro-llama"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_tinker038()
    from tinkex_server import LocalServer

    with LocalServer(backend="torch", data_dir=tmp_path_factory.mktemp("data"), long_poll_s=1.0) as s:
        yield s


@pytest.mark.parametrize(
    "what",
    [
        "supervised",
        "rl:importance_sampling",
        "rl:stable_reinforce",
    ],
)
def test_cookbook_trainer_runs_to_completion_on_tinkex(server: Any, what: str, tmp_path: Path) -> None:
    from tinkex_server import DEFAULT_DEV_API_KEY

    python = require_tinker038()
    tokenizer_dir = server.core.models[MODEL].tokenizer_id  # the local model's own tokenizer directory
    env = tinkex_pythonpath_env(TINKER_API_KEY=DEFAULT_DEV_API_KEY, WANDB_MODE="disabled")
    proc = subprocess.run(
        [str(python), "-m", "tinkex.as_tinker", str(FLOW), server.base_url, MODEL, str(tokenizer_dir),
         str(tmp_path / "log"), what],
        capture_output=True, text=True, timeout=390, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert f"COOKBOOK OK {what}" in proc.stdout
    assert_ran_on_tinkex(proc.stderr)
    # the trainer recorded its final checkpoint, saved on this server
    saved = (tmp_path / "log" / "checkpoints.jsonl").read_text()
    assert '"name": "final"' in saved or "/weights/final" in saved, saved
