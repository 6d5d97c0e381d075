"""Helpers for the server tests: the ASGI app over the null backend with a fake clock, driven through
httpx.ASGITransport (no sockets), and helpers that speak the future protocol with a deadline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from tinkex_server import DEFAULT_DEV_API_KEY
from tinkex_server._app import create_app
from tinkex_server._core import ServerConfig, ServerCore
from tinkex_server.backends.null import DEFAULT_NULL_MODEL, NullBackend

OTHER_KEY = "tml-other-user-key"
BASE = "http://tinkex.test"


class FakeClock:
    """Wall-clock stand-in the tests advance by hand (session expiry, TTLs, signed URLs)."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Harness:
    """One server core + app, and clients for two users."""

    def __init__(self, data_dir: Path, clock: FakeClock, **config: Any) -> None:
        self.data_dir = data_dir
        self.clock = clock
        config.setdefault("long_poll_s", 0.2)
        self.core = ServerCore(
            ServerConfig(data_dir=data_dir, api_keys=(DEFAULT_DEV_API_KEY, OTHER_KEY), **config),
            NullBackend(),
            clock=clock,
        )
        self.app = create_app(self.core)
        transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(
            transport=transport, base_url=BASE, headers={"X-API-Key": DEFAULT_DEV_API_KEY}
        )
        self.other = httpx.AsyncClient(transport=transport, base_url=BASE, headers={"X-API-Key": OTHER_KEY})

    async def close(self) -> None:
        await self.client.aclose()
        await self.other.aclose()
        await asyncio.to_thread(self.core.close)

    # -- protocol helpers ---------------------------------------------------------------------------
    async def post(
        self, op: str, body: Any, *, client: httpx.AsyncClient | None = None, **kw: Any
    ) -> httpx.Response:
        return await (client or self.client).post(f"/api/v1/{op}", json=body, **kw)

    async def result(
        self, request_id: str, *, client: httpx.AsyncClient | None = None, deadline_s: float = 10.0
    ) -> httpx.Response:
        """Poll until the future answers something other than pending; fails the test at the deadline."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            r = await self.post("retrieve_future", {"request_id": request_id}, client=client)
            if r.status_code == 408 or (r.status_code == 200 and r.json().get("type") == "try_again"):
                continue
            return r
        raise AssertionError(f"future {request_id} not finished within {deadline_s} s")

    async def run(self, op: str, body: Any, *, client: httpx.AsyncClient | None = None) -> dict[str, Any]:
        """Submit a future operation and return its successful result body."""
        r = await self.post(op, body, client=client)
        assert r.status_code == 200, r.text
        res = await self.result(r.json()["request_id"], client=client)
        assert res.status_code == 200, res.text
        out: dict[str, Any] = res.json()
        assert "error" not in out, out
        return out

    async def session(self, *, client: httpx.AsyncClient | None = None) -> str:
        r = await self.post(
            "create_session", {"tags": [], "user_metadata": {}, "sdk_version": "0.7.0"}, client=client
        )
        assert r.status_code == 200, r.text
        sid: str = r.json()["session_id"]
        return sid

    async def model(
        self, session_id: str, seq: int = 0, *, client: httpx.AsyncClient | None = None, rank: int = 4
    ) -> str:
        out = await self.run(
            "create_model",
            {"session_id": session_id, "model_seq_id": seq, "base_model": DEFAULT_NULL_MODEL,
             "user_metadata": None, "lora_config": {"rank": rank, "seed": None}},
            client=client,
        )  # fmt: skip
        mid: str = out["model_id"]
        return mid


def datum(
    tokens: list[int], targets: list[int] | None = None, weights: list[float] | None = None
) -> dict[str, Any]:
    """A cross-entropy Datum in the 0.7.0 style (no type tags)."""
    targets = targets if targets is not None else [t + 1 for t in tokens]
    inputs: dict[str, Any] = {"target_tokens": {"data": targets, "dtype": "int64", "shape": [len(targets)]}}
    if weights is not None:
        inputs["weights"] = {"data": weights, "dtype": "float32", "shape": [len(weights)]}
    return {"loss_fn_inputs": inputs, "model_input": {"chunks": [{"tokens": tokens}]}}


def fb_body(
    model_id: str, seq_id: int | None, data: list[dict[str, Any]], loss_fn: str = "cross_entropy"
) -> dict[str, Any]:
    return {
        "forward_backward_input": {"data": data, "loss_fn": loss_fn, "loss_fn_config": None},
        "model_id": model_id,
        "seq_id": seq_id,
    }


class ServeProcess:
    """`python -m tinkex_server` (= `tinkex serve`) in a subprocess on 127.0.0.1, any free port; the
    base URL is read from its start-up log line. `kill()` sends SIGKILL; `stop()` ends it politely.

    Example::

        with ServeProcess(data_dir, "--backend", "null") as srv:
            httpx.get(srv.base_url + "/api/v1/healthz")
    """

    def __init__(self, data_dir: Path, *args: str) -> None:
        import os
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tinkex_server", "--port", "0", "--data-dir", str(data_dir), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.base_url = ""
        assert self.proc.stderr is not None
        end = time.monotonic() + 60
        lines = []
        while time.monotonic() < end:
            line = self.proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "listening on " in line:
                self.base_url = line.rsplit("listening on ", 1)[1].strip()
                break
        if not self.base_url:
            self.kill()
            raise AssertionError("tinkex serve did not start:\n" + "".join(lines))
        # Keep draining its log so a chatty server never blocks on a full pipe.
        import threading

        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for _line in self.proc.stderr:
            pass

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except Exception:
                self.kill()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["BASE", "OTHER_KEY", "FakeClock", "Harness", "ServeProcess", "datum", "fb_body"]
