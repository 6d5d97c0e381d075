"""A lean HTTP/1.1 client for the SDK's own API calls.

httpx (through httpcore, anyio and h11) spends about 1 ms of CPU on each small request on our
2-core machines: most of a sample call's client cost, since every sample is two requests (submit,
then retrieve_future). This client speaks only what the Tinker API needs and spends a fraction of
that: keep-alive connections over asyncio protocols, requests with a byte body, responses with a
Content-Length, chunked or read-until-close body (gzip and deflate decoded), TLS with SNI.

Every wait has a deadline: connecting, waiting for a free connection, and waiting for response
bytes (re-armed while bytes keep arriving, like httpx's read timeout). A request cancelled or failed
midway closes its connection, since its state is unknown. `Transport` uses this client unless
something needs httpx's generality: a proxy from the environment, HTTP/2, or a user-supplied client
factory (tests with mock transports).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

__all__ = [
    "ConnectionPool",
    "HTTPConnectError",
    "HTTPProtocolError",
    "HTTPTimeout",
    "HTTPTransportError",
    "Response",
]

# A response head longer than this is not an API answer: fail instead of buffering without end.
_MAX_HEAD = 64 * 1024
# An idle connection older than this is closed rather than reused (httpx's default too): NATs and load
# balancers drop idle flows without a FIN, and a request sent on such a flow waits out its read timeout.
KEEPALIVE_EXPIRY = 5.0
# Try the next resolved address after this long (RFC 8305), so a broken IPv6 route costs 250 ms, not
# the whole connect timeout.
_HAPPY_EYEBALLS_DELAY = 0.25
_HEAD_END = b"\r\n\r\n"
_HEX_DIGITS = b"0123456789abcdefABCDEF"


class HTTPTransportError(Exception):
    """The exchange failed below HTTP semantics: no (complete) response was received."""


class HTTPConnectError(HTTPTransportError):
    """The connection could not be opened, or broke before the response was complete."""


class HTTPProtocolError(HTTPTransportError):
    """The server sent something that is not a valid HTTP/1.1 response."""


class HTTPTimeout(HTTPTransportError):
    """A deadline passed. `phase`: "connect", "pool" (no free connection) or "read"."""

    def __init__(self, phase: str, seconds: float) -> None:
        super().__init__(f"{phase} timeout after {seconds:g} s")
        self.phase = phase


class _ConnectionLost(HTTPConnectError):
    """Closed or reset while a request was outstanding; `got_bytes` says whether any answer arrived."""

    def __init__(self, message: str, *, got_bytes: bool) -> None:
        super().__init__(message)
        self.got_bytes = got_bytes


Response = tuple[int, dict[str, str], bytes]  # status, headers (lower-case names), decoded body

_HEAD, _LENGTH, _CHUNKED, _UNTIL_CLOSE = range(4)


class _Connection(asyncio.Protocol):
    """One socket; at most one exchange at a time (no pipelining)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        self._buf = bytearray()
        self._response: asyncio.Future[Response] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_activity = 0.0
        self._got_bytes = False
        self._head_only = False
        self._state = _HEAD
        self._status = 0
        self._headers: dict[str, str] = {}
        self._remaining = 0
        self._chunks: list[bytes] = []

    @property
    def open(self) -> bool:
        """Neither side has closed it (a server may close an idle keep-alive connection any time)."""
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    # -- asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        fut = self._response
        if fut is None or fut.done():
            # Bytes nobody asked for: the connection's state is unknown, so it is not reused.
            self.close()
            return
        self._got_bytes = True
        self._last_activity = self.loop.time()
        self._buf += data
        try:
            self._parse(fut)
        except HTTPProtocolError as exc:
            fut.set_exception(exc)
            self.close()
        except Exception as exc:  # a parser slip must fail this request, not the event loop
            fut.set_exception(HTTPProtocolError(f"could not parse the response: {exc!r}"))
            self.close()

    def eof_received(self) -> bool:
        self._lost(None)
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(exc)

    def resume_writing(self) -> None:
        # A large body is still being sent: that counts as progress for the read deadline.
        self._last_activity = self.loop.time()

    # -- exchange ----------------------------------------------------------------------------------
    async def exchange(self, request: bytes, read_timeout: float, *, head_only: bool) -> Response:
        if not self.open:
            raise _ConnectionLost("connection closed before the request was sent", got_bytes=False)
        fut: asyncio.Future[Response] = self.loop.create_future()
        self._response, self._head_only, self._got_bytes = fut, head_only, False
        self._state, self.reusable = _HEAD, False
        self._last_activity = self.loop.time()
        self._timer = self.loop.call_at(
            self._last_activity + read_timeout, self._check_deadline, read_timeout
        )
        assert self.transport is not None  # open
        try:
            self.transport.write(request)
            return await fut
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._response = None

    def _check_deadline(self, read_timeout: float) -> None:
        fut = self._response
        if fut is None or fut.done():
            return
        due = self._last_activity + read_timeout
        if self.loop.time() < due:  # bytes arrived meanwhile: wait a full period from the last ones
            self._timer = self.loop.call_at(due, self._check_deadline, read_timeout)
            return
        fut.set_exception(HTTPTimeout("read", read_timeout))
        self.close()

    def close(self) -> None:
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            # abort(), not close(): on TLS, close() sends close_notify and keeps the socket open until
            # the peer answers (up to asyncio's 30 s SSL shutdown timeout), past the pool's accounting
            # and the client's close(). A connection dropped here is never reused, so nothing is lost.
            self.transport.abort()

    def _lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        fut = self._response
        if fut is None or fut.done():
            return
        if self._state == _UNTIL_CLOSE and exc is None:  # the body ends where the connection does
            self._finish(fut, bytes(self._buf))
            return
        reason = f": {exc}" if exc is not None else ""
        fut.set_exception(
            _ConnectionLost(
                f"server closed the connection before the response was complete{reason}",
                got_bytes=self._got_bytes,
            )
        )

    # -- response parsing --------------------------------------------------------------------------
    def _parse(self, fut: asyncio.Future[Response]) -> None:
        buf = self._buf
        while not fut.done():
            if self._state == _HEAD:
                end = buf.find(_HEAD_END)
                if end > _MAX_HEAD or (end < 0 and len(buf) > _MAX_HEAD):
                    raise HTTPProtocolError(f"response head longer than {_MAX_HEAD} bytes")
                if end < 0:
                    return
                head = bytes(buf[:end])
                del buf[: end + 4]
                if not self._start_body(head):
                    continue  # 1xx informational response: the real one follows
                if self._state == _HEAD:  # no body at all
                    self._finish(fut, b"")
                    return
            elif self._state == _LENGTH:
                if len(buf) < self._remaining:
                    return
                if len(buf) > self._remaining:
                    self.reusable = False  # bytes beyond the body: do not trust this connection
                body = bytes(buf) if len(buf) == self._remaining else bytes(buf[: self._remaining])
                buf.clear()
                self._finish(fut, body)
            elif self._state == _CHUNKED:
                if not self._parse_chunks():
                    return
                self._finish(fut, b"".join(self._chunks))
            else:  # _UNTIL_CLOSE: _lost() completes it
                return

    def _start_body(self, head: bytes) -> bool:
        """Parse a response head; False for an informational (1xx) one. Sets the body mode."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise HTTPProtocolError(f"malformed status line {lines[0][:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise HTTPProtocolError(f"malformed header line {line[:80]!r}")
            key = name.decode("latin-1").lower()
            text = value.strip().decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        if 100 <= status < 200:
            if status == 101:
                raise HTTPProtocolError("unexpected protocol switch (101)")
            return False
        self._status, self._headers = status, headers
        connection = headers.get("connection", "").lower()
        if parts[0] == b"HTTP/1.1":
            self.reusable = "close" not in connection
        else:
            self.reusable = "keep-alive" in connection
        if self._head_only or status in (204, 304):
            self._state = _HEAD
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._state, self._chunks, self._remaining = _CHUNKED, [], -1
        elif "content-length" in headers:
            length = headers["content-length"]
            if not (length.isascii() and length.isdigit()):
                raise HTTPProtocolError(f"invalid Content-Length {length[:40]!r}")
            self._state, self._remaining = _LENGTH, int(length)
            if self._remaining == 0:
                self._state = _HEAD
        else:
            self._state, self.reusable = _UNTIL_CLOSE, False
        return True

    def _parse_chunks(self) -> bool:
        """Consume complete chunks from the buffer; True once the last chunk and trailers are in."""
        buf = self._buf
        while True:
            if self._remaining < 0:  # expecting a chunk-size line
                eol = buf.find(b"\r\n")
                if eol < 0:
                    if len(buf) > _MAX_HEAD:
                        raise HTTPProtocolError("chunk size line too long")
                    return False
                size_text = bytes(buf[:eol]).split(b";", 1)[0].strip()
                if not size_text or size_text.strip(_HEX_DIGITS):  # int() would also take 0x3, +3, 0_3
                    raise HTTPProtocolError(f"invalid chunk size {size_text[:40]!r}")
                size = int(size_text, 16)
                if size == 0:
                    # The last chunk: optional trailer lines (ignored), then an empty line.
                    rest = eol + 2
                    if len(buf) < rest + 2:
                        return False
                    if buf[rest : rest + 2] == b"\r\n":
                        del buf[: rest + 2]
                    else:
                        end = buf.find(_HEAD_END, rest)
                        if end < 0:
                            if len(buf) > _MAX_HEAD:
                                raise HTTPProtocolError("chunked trailers too long")
                            return False
                        del buf[: end + 4]
                    self._after_body()
                    return True
                del buf[: eol + 2]
                self._remaining = size
            if len(buf) < self._remaining + 2:
                return False
            if buf[self._remaining : self._remaining + 2] != b"\r\n":
                raise HTTPProtocolError("chunk not followed by CRLF")
            self._chunks.append(bytes(buf[: self._remaining]))
            del buf[: self._remaining + 2]
            self._remaining = -1

    def _after_body(self) -> None:
        if self._buf:
            self.reusable = False

    def _finish(self, fut: asyncio.Future[Response], body: bytes) -> None:
        self._state = _HEAD
        fut.set_result((self._status, self._headers, body))


def _decode_content(headers: dict[str, str], body: bytes) -> bytes:
    encoding = headers.get("content-encoding", "identity").lower().strip()
    if encoding in ("", "identity") or not body:
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            import gzip  # handles bodies of several gzip members, which a single zlib call truncates

            return gzip.decompress(body)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:  # raw deflate, without the zlib wrapper
                return zlib.decompress(body, wbits=-zlib.MAX_WBITS)
    except (zlib.error, OSError, EOFError) as exc:  # gzip raises BadGzipFile (OSError), EOFError
        raise HTTPProtocolError(f"could not decode the {encoding} response body: {exc}") from exc
    raise HTTPProtocolError(f"unsupported Content-Encoding {encoding!r}")


class ConnectionPool:
    """Keep-alive connections to one origin, at most `max_connections` open; LIFO reuse.

    Example::

        pool = ConnectionPool("http", "127.0.0.1", 8000, ssl_context=None, max_connections=16)
        status, headers, body = await pool.request("GET", "/healthz", {}, None,
                                                   connect_timeout=5, read_timeout=60)
        await pool.aclose()
    """

    def __init__(
        self, scheme: str, host: str, port: int, *, ssl_context: ssl.SSLContext | None, max_connections: int
    ) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {scheme!r}")
        self.host, self.port = host, port
        self._ssl = ssl_context if scheme == "https" else None
        self._max = max_connections
        self._total = 0  # connections open or opening, idle ones included
        self._idle: list[_Connection] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed = False
        default_port = 443 if scheme == "https" else 80
        host_text = f"[{host}]" if ":" in host else host
        self._host_header = host_text if port == default_port else f"{host_text}:{port}"

    async def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> Response:
        """Send one request and return (status, headers, body); HTTPTransportError if no response."""
        data = self._encode(method, target, headers, body)
        head_only = method == "HEAD"
        for attempt in range(2):
            conn, reused = await self._acquire(connect_timeout, read_timeout)
            try:
                status, resp_headers, raw = await conn.exchange(data, read_timeout, head_only=head_only)
            except _ConnectionLost as exc:
                self._release(conn, reusable=False)
                if attempt == 0 and reused and not exc.got_bytes:
                    # The server closed an idle keep-alive connection just as it was reused: nothing
                    # was answered on it, so the request goes once more on a fresh connection. (Had a
                    # server taken the request and died silently, the resend carries the same
                    # idempotency key and seq_id, which the server deduplicates.)
                    continue
                raise
            except BaseException:  # timeout, protocol error, cancellation: the state is unknown
                self._release(conn, reusable=False)
                raise
            self._release(conn, reusable=conn.reusable)
            return status, resp_headers, _decode_content(resp_headers, raw)
        raise AssertionError("unreachable")  # pragma: no cover

    def _encode(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> bytes:
        # Header names are case-insensitive: the last of the same name wins (as httpx merges them), a
        # caller's Host replaces ours, and the body's length is always ours.
        merged = {name.lower(): (name, value) for name, value in headers.items()}
        merged.pop("content-length", None)
        merged.pop("transfer-encoding", None)
        host = merged.pop("host", ("Host", self._host_header))
        lines = [f"{method} {target} HTTP/1.1", f"{host[0]}: {host[1]}"]
        lines.extend(f"{name}: {value}" for name, value in merged.values())
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body) if body is not None else 0}")
        for line in lines:
            if "\r" in line or "\n" in line or "\0" in line:
                # Never let a value smuggle a header (or a request) onto the wire.
                raise ValueError(
                    f"line breaks are not allowed in a request line or header: {line.split(':')[0]!r}"
                )
        try:
            head = "\r\n".join(lines).encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError("header names and values must be latin-1 text") from None
        return head + b"\r\n\r\n" + body if body else head + b"\r\n\r\n"

    async def _acquire(self, connect_timeout: float, pool_timeout: float) -> tuple[_Connection, bool]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + pool_timeout
        while True:
            if self._closed:
                raise HTTPConnectError("the connection pool is closed")
            while self._idle:
                conn = self._idle.pop()
                if conn.open and loop.time() - conn.idle_since <= KEEPALIVE_EXPIRY:
                    return conn, True
                conn.close()  # closed by the server while idle, or idle for too long
                self._total -= 1
            if self._total < self._max:
                self._total += 1
                try:
                    return await self._connect(connect_timeout), False
                except BaseException:
                    self._total -= 1
                    self._wake_one()
                    raise
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except BaseException as exc:
                if waiter.done() and not waiter.cancelled():
                    # Woken with a free connection, but leaving (timeout, cancellation): hand the
                    # wake-up on, or the next waiter sleeps while a connection sits idle.
                    self._wake_one()
                if isinstance(exc, TimeoutError):
                    raise HTTPTimeout("pool", pool_timeout) from None
                raise
            finally:
                with contextlib.suppress(ValueError):  # already popped by _wake_one
                    self._waiters.remove(waiter)

    async def _connect(self, connect_timeout: float) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that races
            # the connection's completion, and the cancelled request would go out anyway.
            async with asyncio.timeout(connect_timeout):
                _, conn = await loop.create_connection(
                    lambda: _Connection(loop),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self._ssl is not None else None,
                    happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY,
                    interleave=1,
                )
        except TimeoutError:
            raise HTTPTimeout("connect", connect_timeout) from None
        except (OSError, UnicodeError) as exc:
            # Refused, unreachable, DNS, TLS (ssl.SSLError is an OSError); UnicodeError: a host name
            # the resolver's IDNA codec refuses (an empty or over-long label).
            raise HTTPConnectError(f"could not connect to {self._host_header}: {exc}") from exc
        return conn

    def _release(self, conn: _Connection, *, reusable: bool) -> None:
        if reusable and not conn.closed and not self._closed:
            conn.idle_since = conn.loop.time()
            self._idle.append(conn)
        else:
            conn.close()
            self._total -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when their exchange ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
            self._total -= 1
        while self._waiters:
            self._wake_one()  # every woken acquirer sees the pool closed
        await asyncio.sleep(0)  # let the transports run their close callbacks

    @property
    def stats(self) -> dict[str, Any]:
        """Open and idle connection counts (for tests and debugging)."""
        return {"open": self._total, "idle": len(self._idle), "waiting": len(self._waiters)}
