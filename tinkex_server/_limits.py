"""Transport limits of the server (issue 12: a 1 GB body took 1 GB of memory; connections announcing
10 GB bodies and idle connections were held for minutes):

* `BodyLimit`, an ASGI middleware: a body announced (Content-Length) or streamed (chunked) beyond
  `max_body_bytes` gets 413 before or while it is read, never buffered whole; a body whose next piece
  does not arrive within `body_timeout_s` gets 408. Every request body is read here, so handlers get
  it whole.
* `guarded_protocol`, a subclass of uvicorn's HTTP protocol: a connection beyond `max_connections` is
  closed at once, and one that completes no request head within `idle_timeout_s` (a silent or
  trickling client) is closed. Idle keep-alive connections are closed by uvicorn's own keep-alive
  timeout, set to the same `idle_timeout_s`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_BODY_TIMEOUT_S",
    "DEFAULT_IDLE_TIMEOUT_S",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_CONNECTIONS",
    "BodyLimit",
    "guarded_protocol",
]

log = logging.getLogger("tinkex_server")

# The largest request body: a 128 x 8192-token forward_backward with RL inputs is ~40 MB of JSON;
# 256 MiB leaves room for bigger batches while bounding what one request can make the server hold.
DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024
# How long the server waits for the next piece of a request body before answering 408.
DEFAULT_BODY_TIMEOUT_S = 30.0
# How long a connection may sit without a complete request head (new or kept-alive) before it is
# closed. Clients reopen pooled connections the server closed; 30 s matches uvicorn's former setting.
DEFAULT_IDLE_TIMEOUT_S = 30.0
# Open connections at once; further ones are closed on arrival. Clients pool a few dozen at most.
DEFAULT_MAX_CONNECTIONS = 1024


def _error(status: int, detail: str) -> tuple[dict[str, Any], bytes]:
    body = orjson.dumps({"detail": detail})
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-should-retry", b"false"),
        ],
    }
    return start, body


class BodyLimit:
    """ASGI middleware: read each request body in full, within `max_body_bytes` and `body_timeout_s`,
    then hand it to `app` in one message.

    Example::

        app = BodyLimit(starlette_app, max_body_bytes=1 << 20, body_timeout_s=30.0)
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout_s: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        announced = headers.get(b"content-length")
        if announced is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (GET, HEAD, DELETE)
            return
        if announced is not None:
            try:
                size = int(announced)
            except ValueError:
                size = -1
            if size > self.max_body_bytes:
                await self._refuse(send, 413, self._too_large(f"Content-Length {size}"))
                return
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except TimeoutError:
                await self._refuse(
                    send,
                    408,
                    f"the request body stalled: no data for {self.body_timeout_s:g} s (--body-timeout)",
                )
                return
            if message["type"] == "http.disconnect":
                return  # the client left; nothing to answer
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body_bytes:
                await self._refuse(send, 413, self._too_large("the streamed body"))
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        del chunks
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    def _too_large(self, what: str) -> str:
        return (
            f"{what} exceeds this server's request body limit of {self.max_body_bytes} bytes "
            "(tinkex serve --max-body-bytes); send a smaller batch"
        )

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        start, body = _error(status, detail)
        await send(start)
        await send({"type": "http.response.body", "body": body})


def guarded_protocol(base: type[Any], *, max_connections: int, idle_timeout_s: float) -> type[Any]:
    """A subclass of uvicorn's HTTP protocol class `base` that bounds connections (see module doc).

    Example::

        uvicorn.Config(app, http=guarded_protocol(HttpToolsProtocol, max_connections=1024, idle_timeout_s=30))
    """

    class Guarded(base):  # type: ignore[misc]
        _tinkex_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                log.warning("refused a connection: %d open (--max-connections)", len(self.connections) - 1)
                transport.close()
                return
            self._tinkex_arm(None)

        def _tinkex_arm(self, seen: Any) -> None:
            # Fires unless a new request head completed meanwhile (uvicorn makes a new cycle for it).
            self._tinkex_timer = self.loop.call_later(idle_timeout_s, self._tinkex_check, seen)

        def _tinkex_check(self, seen: Any) -> None:
            self._tinkex_timer = None
            cycle = getattr(self, "cycle", None)
            if cycle is seen:  # still the connection's state when armed: no new request head came
                log.info("closed a connection that sent no complete request for %g s", idle_timeout_s)
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._tinkex_timer is not None:
                self._tinkex_timer.cancel()
            if not self.transport.is_closing():
                self._tinkex_arm(self.cycle)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._tinkex_timer is not None:
                self._tinkex_timer.cancel()
                self._tinkex_timer = None
            super().connection_lost(exc)

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    return Guarded
