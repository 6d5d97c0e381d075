"""kill -9 and restart (issue 12): a `tinkex serve` process saving checkpoints is killed with SIGKILL in
the middle of its work, then restarted on the same data dir. Nothing it answered is lost, nothing is
corrupted: every checkpoint row has its directory and every directory its row, every save that
answered is listed, and every archive downloads and verifies."""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import ServeProcess, datum, fb_body

from tinkex_server import DEFAULT_DEV_API_KEY
from tinkex_server.backends.null import DEFAULT_NULL_MODEL

pytestmark = pytest.mark.timeout(120)
HEADERS = {"X-API-Key": DEFAULT_DEV_API_KEY}


def _result(c: httpx.Client, rid: str) -> dict[str, Any]:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        r = c.post("/api/v1/retrieve_future", json={"request_id": rid})
        if r.status_code == 200 and r.json().get("type") != "try_again":
            out: dict[str, Any] = r.json()
            return out
    raise AssertionError(f"future {rid} did not finish")


def _rows_and_dirs(c: httpx.Client, data_dir: Path) -> tuple[set[str], set[str]]:
    listed = c.get("/api/v1/checkpoints", params={"limit": 1000}).json()["checkpoints"]
    rows = {ck["tinker_path"] for ck in listed}
    dirs = {
        f"tinker://{d.parent.parent.name}/{d.parent.name}/{d.name}"
        for d in (data_dir / "checkpoints").glob("*/*/*")
        if d.is_dir()
    }
    return rows, dirs


def test_a_killed_server_restarts_with_nothing_lost_or_corrupted(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    answered: list[str] = []
    srv = ServeProcess(data_dir, "--backend", "null")
    try:
        with httpx.Client(base_url=srv.base_url, headers=HEADERS, timeout=30) as c:
            sid = c.post(
                "/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "x"}
            ).json()["session_id"]
            r = c.post(
                "/api/v1/create_model",
                json={
                    "session_id": sid,
                    "model_seq_id": 0,
                    "base_model": DEFAULT_NULL_MODEL,
                    "lora_config": {"rank": 2},
                },
            )
            mid = _result(c, r.json()["request_id"])["model_id"]
            seq = 0
            for step in range(12):
                seq += 1
                c.post("/api/v1/forward_backward", json=fb_body(mid, seq, [datum([1, 2, 3])]))
                seq += 1
                c.post("/api/v1/optim_step", json={"model_id": mid, "seq_id": seq, "adam_params": {}})
                seq += 1
                kind = "save_weights" if step % 2 else "save_weights_for_sampler"
                rid = c.post(
                    f"/api/v1/{kind}", json={"model_id": mid, "path": f"s{step}", "seq_id": seq}
                ).json()["request_id"]
                if step < 8:  # the first saves are waited for (answered); the rest are in flight
                    answered.append(_result(c, rid)["path"])
        srv.kill()  # SIGKILL mid-work: later saves were submitted and never waited for
    finally:
        srv.stop()

    with (
        ServeProcess(data_dir, "--backend", "null") as again,
        httpx.Client(base_url=again.base_url, headers=HEADERS, timeout=30, follow_redirects=True) as c,
    ):
        rows, dirs = _rows_and_dirs(c, data_dir)
        assert set(answered) <= rows  # every save that answered survived
        assert rows == dirs  # rows and directories match, both ways
        assert not list((data_dir / "checkpoints").glob("*/*/.*.tmp"))  # no half-written leftovers
        for path in sorted(rows):
            run, kind, name = path.removeprefix("tinker://").split("/")
            assert (data_dir / "checkpoints" / run / kind / name / "checkpoint_complete").is_file()
            r = c.get(f"/api/v1/training_runs/{run}/checkpoints/{kind}/{name}/archive")
            assert r.status_code == 200, r.text
            assert hashlib.sha256(r.content).hexdigest() == r.headers["x-checksum-sha256"]
            with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
                assert any(m.name.endswith("checkpoint_complete") for m in tar.getmembers())
        assert (c.get("/api/v1/healthz")).status_code == 200
