"""LocalServer on a real uvicorn on 127.0.0.1: start/stop leave nothing behind, dropped connections,
archive downloads over real HTTP, and `python -m tinkex_server` end to end."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
from tinkex_server.__main__ import build_parser
from tinkex_server.backends.null import DEFAULT_NULL_MODEL

pytestmark = pytest.mark.timeout(90)
KEY = {"X-API-Key": DEFAULT_DEV_API_KEY}


def test_start_serves_and_stop_leaves_no_threads_and_no_temp_dir() -> None:
    before = set(threading.enumerate())
    server = LocalServer(backend="null")
    url = server.start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert server.port != 0
    # a TCP listening socket makes asyncio set TCP_NODELAY per connection (else ~40 ms per request)
    assert server._sock is not None
    assert server._sock.proto == socket.IPPROTO_TCP
    assert httpx.get(f"{url}/api/v1/healthz").json() == {"status": "ok"}
    data_dir = server.data_dir
    assert (data_dir / "state.sqlite3").exists()
    server.stop()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
    assert not data_dir.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/healthz", timeout=1)
    assert "tml-" not in repr(server)


def test_a_given_data_dir_is_kept(tmp_path: Path) -> None:
    with LocalServer(backend="null", data_dir=tmp_path / "d") as server:
        assert server.base_url.startswith("http://127.0.0.1:")
    assert (tmp_path / "d" / "state.sqlite3").exists()


def test_dropped_connections_after_the_operation_took_effect() -> None:
    with LocalServer(backend="null", faults="drop=1,seed=0") as server:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(
                f"{server.base_url}/api/v1/create_session",
                json={"tags": ["dropped"], "user_metadata": {}, "sdk_version": "t"},
                headers=KEY,
            )
        assert server.core is not None
        _rows, total = server.core.store.list_sessions(server.core.users[DEFAULT_DEV_API_KEY], 10, 0)
        assert total == 1  # the request was handled; only the answer was lost
        assert httpx.get(f"{server.base_url}/api/v1/healthz").status_code == 200


def test_archive_download_over_http_with_ranges() -> None:
    with (
        LocalServer(backend="null", long_poll_s=1.0) as server,
        httpx.Client(base_url=server.base_url, headers=KEY) as c,
    ):

        def run(op: str, body: dict[str, object]) -> dict[str, object]:
            rid = c.post(f"/api/v1/{op}", json=body).json()["request_id"]
            for _ in range(50):
                r = c.post("/api/v1/retrieve_future", json={"request_id": rid})
                if r.status_code == 200:
                    return dict(r.json())
            raise AssertionError("no result")

        sid = c.post(
            "/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "t"}
        ).json()["session_id"]
        mid = run(
            "create_model",
            {
                "session_id": sid,
                "model_seq_id": 0,
                "base_model": DEFAULT_NULL_MODEL,
                "lora_config": {"rank": 2},
            },
        )["model_id"]
        run("save_weights_for_sampler", {"model_id": mid, "path": "w", "seq_id": 1})
        r = c.get(f"/api/v1/training_runs/{mid}/checkpoints/sampler_weights/w/archive")
        assert r.status_code == 302
        url = r.headers["location"]
        assert url.startswith(server.base_url + "/storage/")
        full = httpx.get(url)  # a plain GET, no API key
        assert full.status_code == 200
        assert full.headers["x-checksum-sha256"] == hashlib.sha256(full.content).hexdigest()
        tail = httpx.get(url, headers={"Range": "bytes=-7"})
        assert tail.status_code == 206
        assert tail.content == full.content[-7:]


def test_parser_defaults_and_repeatable_options() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.backend, args.api_keys, args.models) == (
        "127.0.0.1",
        8000,
        "torch",
        None,
        None,
    )
    args = build_parser().parse_args(
        [
            "--api-key",
            "tml-a",
            "--api-key",
            "tml-b",
            "--model",
            "m1=/p1",
            "--model",
            "m2=/p2",
            "--faults",
            "5xx=0.1",
        ]
    )
    assert args.api_keys == ["tml-a", "tml-b"]
    assert args.models == [("m1", "/p1"), ("m2", "/p2")]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--faults", "5xx=2"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--model", "no-equals-sign"])


def test_python_m_tinkex_server_logs_its_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinkex_server",
            "--backend",
            "null",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        url = None
        while time.monotonic() < deadline and url is None:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            m = re.search(r"listening on (http://\S+)", line)
            url = m.group(1) if m else None
        assert url is not None, "no 'listening on <url>' line"
        assert httpx.get(f"{url}/api/v1/healthz").json() == {"status": "ok"}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stop_does_not_wait_for_held_long_polls() -> None:
    server = LocalServer(backend="null", long_poll_s=30)
    url = server.start()
    gate = threading.Event()
    assert server.core is not None
    original = server.core.backend.optim_step

    def held(*a: object, **k: object) -> dict[str, float]:
        gate.wait(20)
        return original(*a, **k)  # type: ignore[arg-type]

    server.core.backend.optim_step = held  # type: ignore[method-assign]
    server.core.worker.inline = False  # a blocking job must run on the compute thread, not the loop
    with httpx.Client(base_url=url, headers=KEY, timeout=40) as c:
        sid = c.post(
            "/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "t"}
        ).json()["session_id"]
        rid = c.post(
            "/api/v1/create_model",
            json={
                "session_id": sid,
                "model_seq_id": 0,
                "base_model": DEFAULT_NULL_MODEL,
                "lora_config": {"rank": 2},
            },
        ).json()["request_id"]
        mid = c.post("/api/v1/retrieve_future", json={"request_id": rid}).json()["model_id"]
        rid = c.post("/api/v1/optim_step", json={"adam_params": {}, "model_id": mid, "seq_id": 1}).json()[
            "request_id"
        ]
        answers: list[int] = []
        poller = threading.Thread(
            target=lambda: answers.append(
                c.post("/api/v1/retrieve_future", json={"request_id": rid}).status_code
            )
        )
        poller.start()
        time.sleep(0.3)  # let the poll be held (real server, real time)
        t0 = time.monotonic()
        release = threading.Timer(1.5, gate.set)  # the compute job ends only after the poll was answered
        release.start()
        server.stop()
        poller.join(10)
        release.join()
    assert time.monotonic() - t0 < 5  # not uvicorn's graceful-shutdown timeout, not the 30 s hold
    assert answers == [408]  # the held poll was released as "pending" when the server stopped


_LOOP_AND_PARSER = """
import sys
{block}
import httpx
from tinkex_server import LocalServer
with LocalServer(backend="null") as server:
    assert httpx.get(server.base_url + "/api/v1/healthz").status_code == 200
    print(type(server._loop).__module__, server._server.config.http_protocol_class.__mro__[1].__name__)
"""


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("", "uvloop HttpToolsProtocol"),
        # The `server` extra brings both; a bare install still serves, on asyncio and h11.
        ("sys.modules['uvloop'] = None; sys.modules['httptools'] = None", "asyncio.unix_events H11Protocol"),
    ],
)
def test_serves_on_uvloop_and_httptools_when_installed_else_asyncio_and_h11(
    block: str, expected: str
) -> None:
    if not block:
        pytest.importorskip("uvloop")
        pytest.importorskip("httptools")
    out = subprocess.run(
        [sys.executable, "-c", _LOOP_AND_PARSER.format(block=block)],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == expected
