"""Denial of service against a real `tinkex serve` process (issue 12, items 1, 2 and 8): while each
hostile request is refused, the server keeps answering /healthz (a client deadline of a few seconds:
a liveness bound, not a speed claim) and its memory stays bounded (psutil RSS of the server process;
the bounds are generous on purpose). Run with `-s` to see the figures.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
import pytest
from server_helpers import ServeProcess, datum, fb_body

from tinkex_server import DEFAULT_DEV_API_KEY
from tinkex_server.backends.null import DEFAULT_NULL_MODEL

pytestmark = pytest.mark.timeout(120)
HEADERS = {"X-API-Key": DEFAULT_DEV_API_KEY}
MAX_BODY = 4_000_000
MAX_CONNECTIONS = 64
IDLE_S = 1.0
MiB = 1 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    srv = ServeProcess(
        tmp_path_factory.mktemp("dos") / "data", "--backend", "null",
        "--max-body-bytes", str(MAX_BODY), "--max-connections", str(MAX_CONNECTIONS),
        "--idle-timeout", str(IDLE_S), "--body-timeout", "2",
    )  # fmt: skip
    yield srv
    srv.stop()


def _rss(server: ServeProcess) -> int:
    return int(psutil.Process(server.pid).memory_info().rss)


def _alive(server: ServeProcess) -> None:
    r = httpx.get(f"{server.base_url}/api/v1/healthz", timeout=5.0)
    assert r.status_code == 200


class Watch:
    """Polls healthz every 50 ms on its own thread while a hostile case runs; records the peak RSS."""

    def __init__(self, server: ServeProcess) -> None:
        self.server, self.polls, self.peak = server, 0, _rss(server)
        self.failures: list[str] = []
        self.start_rss = self.peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _poll(self, c: httpx.Client) -> None:
        try:
            assert c.get(f"{self.server.base_url}/api/v1/healthz").status_code == 200
        except Exception as e:
            self.failures.append(repr(e))
        self.polls += 1
        self.peak = max(self.peak, _rss(self.server))

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as c:
            while not self._stop.is_set():
                self._poll(c)
                self._stop.wait(0.05)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        with httpx.Client(timeout=5.0) as c:
            self._poll(c)  # and once after the case, however short it was

    def check(self, name: str, growth_bound: int) -> None:
        growth = self.peak - self.start_rss
        print(f"\n[dos] {name}: healthz {self.polls} polls, {len(self.failures)} failed; "
              f"RSS {self.start_rss / MiB:.0f} -> peak {self.peak / MiB:.0f} MiB (+{growth / MiB:.1f})")  # fmt: skip
        assert not self.failures, self.failures[:3]
        assert self.polls > 0
        assert growth < growth_bound


def _model(c: httpx.Client) -> str:
    sid = c.post("/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "x"}).json()[
        "session_id"
    ]
    r = c.post(
        "/api/v1/create_model",
        json={
            "session_id": sid,
            "model_seq_id": 0,
            "base_model": DEFAULT_NULL_MODEL,
            "lora_config": {"rank": 2},
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["model_id"])


def _result(c: httpx.Client, rid: str, deadline_s: float = 60) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        r = c.post("/api/v1/retrieve_future", json={"request_id": rid})
        if r.status_code == 200 and r.json().get("type") != "try_again":
            out: dict[str, Any] = r.json()
            return out
    raise AssertionError(f"future {rid} did not finish")


def test_far_ahead_seq_ids_are_refused_and_cost_nothing(server: ServeProcess) -> None:
    with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as c, Watch(server) as w:
        mid = _model(c)
        for seq in (2**63 - 1, 20_000_000, 10**30):
            r = c.post("/api/v1/forward_backward", json=fb_body(mid, seq, [datum([1, 2])]))
            assert r.status_code == 400
            assert "seq_id window" in r.json()["detail"]
    w.check("far-ahead seq_id", 50 * MiB)


def test_oversized_samples_are_refused_and_a_big_one_does_not_starve_another_user(
    server: ServeProcess,
) -> None:
    with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as c, Watch(server) as w:
        sid = c.post(
            "/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "x"}
        ).json()["session_id"]
        sampler = c.post(
            "/api/v1/create_sampling_session",
            json={"session_id": sid, "sampling_session_seq_id": 0, "base_model": DEFAULT_NULL_MODEL},
        ).json()["sampling_session_id"]

        def body(n: int, max_tokens: int) -> dict[str, Any]:
            return {"sampling_session_id": sampler, "seq_id": 0, "num_samples": n,
                    "prompt": {"chunks": [{"tokens": [1, 2]}]}, "sampling_params": {"max_tokens": max_tokens}}  # fmt: skip

        for n, mt in ((2**31, 4), (1, 10**9)):
            assert c.post("/api/v1/asample", json=body(n, mt)).status_code == 422
        # The biggest request the ceilings allow (262,144 tokens), then a small one of the same user:
        # both finish, and healthz answered throughout.
        big = c.post("/api/v1/asample", json=body(128, 2048)).json()["request_id"]
        small = c.post("/api/v1/asample", json=body(1, 4)).json()["request_id"]
        assert len(_result(c, small)["sequences"]) == 1
        assert len(_result(c, big)["sequences"]) == 128
    w.check("asample at the ceilings", 400 * MiB)


def _raw(server: ServeProcess) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def _status_of(s: socket.socket) -> int:
    head = s.recv(4096)
    return int(head.split(b" ", 2)[1]) if head else 0


def test_bodies_over_the_cap_get_413_before_they_are_read(server: ServeProcess) -> None:
    req = (
        b"POST /api/v1/create_session HTTP/1.1\r\nHost: x\r\nX-API-Key: " + DEFAULT_DEV_API_KEY.encode() +
        b"\r\nContent-Type: application/json\r\n"
    )  # fmt: skip
    with Watch(server) as w:
        for batch in range(4):  # 200 connections announcing 10 GB bodies, 50 at a time (under the cap)
            socks = [_raw(server) for _ in range(50)]
            for s in socks:
                s.sendall(req + b"Content-Length: 10000000000\r\n\r\n" + b"{" * 1000)
            assert [_status_of(s) for s in socks] == [413] * 50, batch
            for s in socks:
                s.close()
        # A chunked body is cut off at the cap, whatever it announces (nothing).
        s = _raw(server)
        s.sendall(req + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < 4 * MAX_BODY:
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        except OSError:
            pass  # the server answered and closed while we were still sending
        assert _status_of(s) == 413
        s.close()
    w.check("10 GB announced x 200, chunked past the cap", 100 * MiB)


def test_idle_and_excess_connections_are_not_held(server: ServeProcess) -> None:
    with Watch(server) as w:
        idle = [_raw(server) for _ in range(MAX_CONNECTIONS // 2)]  # never send a byte
        slow = _raw(server)
        slow.sendall(b"GET /api/v1/healthz HTTP/1.1\r\nHo")  # a head that never completes
        _alive(server)
        for s in [*idle, slow]:
            s.settimeout(IDLE_S + 10)
            assert s.recv(1) == b""  # closed by the server after the idle timeout
            s.close()
        # Beyond the connection cap, new connections are closed at once; the server stays reachable.
        flood = [_raw(server) for _ in range(MAX_CONNECTIONS + 40)]
        closed = 0
        for s in flood[MAX_CONNECTIONS - 1 :]:
            s.settimeout(5)
            try:
                closed += s.recv(1) == b""
            except OSError:
                closed += 1
        for s in flood:
            s.close()
        assert closed >= 40
        time.sleep(0.2)  # let the server see the closes before the next healthz
        _alive(server)
    w.check(f"{MAX_CONNECTIONS // 2} idle + 1 slow head, then {MAX_CONNECTIONS + 40} at once", 50 * MiB)
