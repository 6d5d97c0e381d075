"""A local Tinker-compatible server (the `server` extra): `LocalServer` runs it in-process on uvicorn,
`python -m tinkex_server` (= `tinkex serve`) from the command line.

Authentication uses API keys given at start; `DEFAULT_DEV_API_KEY` (``tml-local-dev-key``) is the
documented development key used when none is given (the official 0.7.0 client insists on the `tml-`
prefix). The `tinkex` SDK never imports this package.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from _tinkex_lowlevel.operations import OPERATIONS

from tinkex_server._core import DEFAULT_SESSION_TIMEOUT_S, ServerConfig, ServerCore
from tinkex_server._faults import FaultSpec, parse_faults
from tinkex_server._futures import DEFAULT_LONG_POLL_S
from tinkex_server._limits import guarded_protocol
from tinkex_server.backends.base import Backend

__all__ = ["DEFAULT_DEV_API_KEY", "LocalServer"]

DEFAULT_DEV_API_KEY = "tml-local-dev-key"
"""The development API key a server accepts when started without `api_keys`. Not a secret."""

log = logging.getLogger("tinkex_server")

# start() waits this long for healthz; building the tiny torch models on first use happens before.
_START_DEADLINE_S = 60.0


def _loop_factory(config: Any) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop uvicorn's `loop="auto"` picks: uvloop when installed (the `server` extra), else
    asyncio's. uvicorn < 0.36 has no `get_loop_factory`; then uvloop is looked up here."""
    get = getattr(config, "get_loop_factory", None)
    if get is not None:
        factory: Callable[[], asyncio.AbstractEventLoop] | None = get()
        return factory
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def make_backend(backend: str | Backend, models: Mapping[str, str | Path] | None) -> Backend:
    """Resolve `"torch"` / `"null"` / a Backend instance. torch is imported only when chosen.

    Example::

        make_backend("null", None).supported_models()[0].name  # -> "tinkex/null"
    """
    if not isinstance(backend, str):
        return backend
    if backend == "null":
        from tinkex_server.backends.null import NullBackend

        return NullBackend(models)
    if backend == "torch":
        from tinkex_server.backends.torch_backend import TorchBackend

        return TorchBackend(extra_models=models)
    raise ValueError(f"backend must be 'torch', 'null' or a Backend instance, got {backend!r}")


class LocalServer:
    """The server on a real uvicorn in a background thread, on a socket bound here (port 0 = a free port).

    `data_dir=None` uses a temporary directory removed by `stop()`. Every knob defaults to what
    `tinkex serve` uses; tests shorten `long_poll_s` and `session_timeout_s`.

    Example::

        with LocalServer(backend="null") as server:
            client = tinker.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY)
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: str | Path | None = None,
        backend: str | Backend = "torch",
        api_keys: Sequence[str] = (DEFAULT_DEV_API_KEY,),
        models: Mapping[str, str | Path] | None = None,
        faults: str | FaultSpec | None = None,
        session_timeout_s: float = DEFAULT_SESSION_TIMEOUT_S,
        long_poll_s: float = DEFAULT_LONG_POLL_S,
        **extra: Any,
    ) -> None:
        if not api_keys:
            raise ValueError("api_keys must not be empty")
        self.host, self.port = host, port
        self._tmp = data_dir is None
        self.data_dir = (
            Path(tempfile.mkdtemp(prefix="tinkex-server-")) if data_dir is None else Path(data_dir)
        )
        self._backend_choice = backend
        self._models = models
        fault_spec = faults if isinstance(faults, FaultSpec) else parse_faults(faults)
        self.config = ServerConfig(
            data_dir=self.data_dir, api_keys=tuple(api_keys), session_timeout_s=session_timeout_s,
            long_poll_s=long_poll_s, faults=fault_spec, **extra,
        )  # fmt: skip
        self.core: ServerCore | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"LocalServer(base_url={self._base_url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def base_url(self) -> str:
        """`http://host:port` once started."""
        if self._base_url is None:
            raise RuntimeError("LocalServer is not started; call start() first")
        return self._base_url

    def start(self) -> str:
        """Bind, serve in a background thread, wait until healthz answers; returns the base URL."""
        import httpx
        import uvicorn

        from tinkex_server._app import create_app

        if self._thread is not None:
            return self.base_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.core = ServerCore(self.config, make_backend(self._backend_choice, self._models))
        app = create_app(self.core)
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when the
        # listening socket says TCP; with proto 0 every small response waits ~40 ms (Nagle + delayed ACK).
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(min(self.config.max_connections, 4096))
        sock.setblocking(False)
        self._sock = sock  # asyncio serves this very socket; closed in stop()
        self.port = sock.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._base_url = f"http://{host}:{self.port}"
        # loop/http "auto": uvloop and httptools when installed (the `server` extra), which cut uvicorn's
        # own share of a small request roughly in half; asyncio and h11 otherwise. No access log: one
        # line per request costs more than the request on the null backend.
        # The guarded protocol bounds open connections and closes those that send no request (see
        # _limits.py); idle keep-alive connections close after the same idle timeout.
        cfg = self.config
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        http = guarded_protocol(
            AutoHTTPProtocol, max_connections=cfg.max_connections, idle_timeout_s=cfg.idle_timeout_s
        )
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", loop="auto", http=http,
            timeout_graceful_shutdown=5, timeout_keep_alive=max(1, round(cfg.idle_timeout_s)),
        )  # fmt: skip
        self._server = uvicorn.Server(config)

        async def serve_async() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[sock])

        loop_factory = _loop_factory(config)

        def serve() -> None:
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                runner.run(serve_async())

        self._thread = threading.Thread(target=serve, name="tinkex-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_DEADLINE_S
        while True:
            try:
                if httpx.get(self._base_url + OPERATIONS["healthz"].path, timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local server did not become ready")
            time.sleep(0.02)
        log.info("tinkex server listening on %s", self._base_url)
        return self._base_url

    def stop(self) -> None:
        """Stop serving, join the thread, stop the compute thread; remove a temporary data dir."""
        if self._server is not None:
            self._server.should_exit = True
            if self._loop is not None and self.core is not None and not self._loop.is_closed():
                # Held long-polls would keep uvicorn's graceful shutdown waiting for up to long_poll_s.
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    self._loop.call_soon_threadsafe(self.core.futures.wake_all)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.core is not None:
            self.core.close()
            self.core = None
        self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._tmp:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
