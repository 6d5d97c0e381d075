"""The lean HTTP/1.1 client (`tinkex._runtime._http11`) against raw TCP servers scripted byte by byte on
127.0.0.1: framing (Content-Length, chunked, read-until-close), keep-alive reuse, split deliveries,
decoding, malformed answers, deadlines, pool limits, stale connections, cancellation, and how
`Transport` maps its failures to tinkex exceptions."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import re
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

import tinkex
from tinkex._config import ClientConfig
from tinkex._runtime import _http11 as http11
from tinkex._runtime._http11 import (
    ConnectionPool,
    HTTPConnectError,
    HTTPProtocolError,
    HTTPTimeout,
    HTTPTransportError,
)
from tinkex._runtime._transport import RawResponse, Transport, _lean_origin

KEY = "tml-FAKE-KEY-must-never-leak-7f3a9c"


# -- a fault-injecting raw TCP server --------------------------------------------------------------
class ServerConn:
    """One accepted connection: read requests, write raw bytes, see the client's EOF."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.requests: list[bytes] = []
        self.eof = asyncio.Event()  # the client closed its side

    async def read_request(self) -> bytes | None:
        """The next request (head and Content-Length body), or None once the client closed."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
            body = await self.reader.readexactly(int(m.group(1))) if m else b""
        except (asyncio.IncompleteReadError, ConnectionError):
            self.eof.set()
            return None
        self.requests.append(head + body)
        return head + body

    async def wait_eof(self) -> None:
        """Read (and drop) whatever comes until the client closes the connection."""
        with contextlib.suppress(ConnectionError):
            while await self.reader.read(65536):
                pass
        self.eof.set()

    async def send(self, *pieces: bytes, pause: float = 0.0) -> None:
        """Write the pieces one by one, yielding to the loop between them so they arrive apart."""
        for piece in pieces:
            self.writer.write(piece)
            await self.writer.drain()
            await asyncio.sleep(pause)

    def close(self) -> None:
        self.writer.close()


Handler = Callable[[ServerConn], Awaitable[None]]


@contextlib.asynccontextmanager
async def scripted_server(handler: Handler) -> AsyncIterator[tuple[int, list[ServerConn]]]:
    """Serve `handler` per accepted connection on 127.0.0.1; yield (port, accepted connections)."""
    conns: list[ServerConn] = []
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = ServerConn(reader, writer)
        conns.append(conn)
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(conn)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the test is over (a cancelled task here logs noise)
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], conns
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def ok(body: bytes = b"ok", *headers: str, version: str = "HTTP/1.1") -> bytes:
    head = "\r\n".join([f"{version} 200 OK", f"Content-Length: {len(body)}", *headers])
    return head.encode() + b"\r\n\r\n" + body


def chunked(*chunks: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


async def answer_all(conn: ServerConn, reply: bytes = b"") -> None:
    """Keep-alive server: answer every request on the connection with `reply` (default: ok())."""
    while await conn.read_request() is not None:
        await conn.send(reply or ok())


def make_pool(port: int, max_connections: int = 4) -> ConnectionPool:
    return ConnectionPool("http", "127.0.0.1", port, ssl_context=None, max_connections=max_connections)


async def get(
    pool: ConnectionPool, target: str = "/", *, read_timeout: float = 2.0, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    return await pool.request(method, target, {}, None, connect_timeout=2.0, read_timeout=read_timeout)


async def until(predicate: Callable[[], bool], within: float = 2.0) -> None:
    """Wait (polling the loop) until `predicate()` holds; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# -- 1. request bytes and a plain response ---------------------------------------------------------
async def test_request_bytes_on_the_wire_and_a_content_length_response() -> None:
    async with scripted_server(lambda c: answer_all(c, ok(b'{"x": 1}', "X-Thing: Yes"))) as (port, conns):
        pool = make_pool(port)
        body = b'{"prompt": [1, 2, 3]}'
        status, headers, got = await pool.request(
            "POST",
            "/api/v1/asample?a=1",
            {"X-API-Key": "k-1", "Content-Type": "application/json"},
            body,
            connect_timeout=2,
            read_timeout=2,
        )
        assert (status, got) == (200, b'{"x": 1}')
        assert headers == {"content-length": "8", "x-thing": "Yes"}  # names lower-cased, values kept
        await pool.request("POST", "/empty", {}, None, connect_timeout=2, read_timeout=2)
        await pool.aclose()

    first, second = conns[0].requests
    head, _, sent_body = first.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /api/v1/asample?a=1 HTTP/1.1"
    assert sorted(lines[1:]) == sorted(
        [
            f"Host: 127.0.0.1:{port}".encode(),
            b"X-API-Key: k-1",
            b"Content-Type: application/json",
            f"Content-Length: {len(body)}".encode(),
        ]
    )
    assert sent_body == body
    assert second.split(b"\r\n")[0] == b"POST /empty HTTP/1.1"
    assert b"\r\nContent-Length: 0\r\n" in second
    assert second.endswith(b"\r\n\r\n")


# -- 2. keep-alive ---------------------------------------------------------------------------------
async def test_sequential_requests_reuse_one_connection() -> None:
    async with scripted_server(answer_all) as (port, conns):
        pool = make_pool(port)
        for _ in range(3):
            assert (await get(pool))[0] == 200
        assert pool.stats == {"open": 1, "idle": 1, "waiting": 0}
        await pool.aclose()
    assert len(conns) == 1
    assert len(conns[0].requests) == 3


@pytest.mark.parametrize(
    ("reply", "reused"),
    [
        (ok(b"ok", "Connection: close"), False),
        (ok(b"ok", version="HTTP/1.0"), False),
        (ok(b"ok", "Connection: keep-alive", version="HTTP/1.0"), True),
    ],
    ids=["http11-connection-close", "http10-default", "http10-keep-alive"],
)
async def test_connection_header_and_version_decide_reuse(reply: bytes, reused: bool) -> None:
    async with scripted_server(lambda c: answer_all(c, reply)) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == b"ok"
        assert (await get(pool))[2] == b"ok"
        if not reused:
            await asyncio.wait_for(conns[0].eof.wait(), 2)  # the client closed its side, too
        await pool.aclose()
    assert len(conns) == (1 if reused else 2)


# -- 3. chunked bodies and split deliveries --------------------------------------------------------
async def test_chunked_body_with_extensions_and_trailers() -> None:
    reply = CHUNKED_HEAD + b"5;name=value\r\nhello\r\n1;x=y\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
    async with scripted_server(lambda c: answer_all(c, reply)) as (port, conns):
        pool = make_pool(port)
        assert await get(pool) == (200, {"transfer-encoding": "chunked"}, b"hello world")
        assert (await get(pool))[2] == b"hello world"  # the trailers were consumed: reusable
        await pool.aclose()
    assert len(conns) == 1


AWKWARD_PIECES = [
    b"HTTP/1.1 2",  # status line split
    b"00 OK\r\nTransfer-Enc",  # header line split mid-name
    b"oding: chunked\r\n\r",  # head terminator split
    b"\n1",  # chunk size split
    b"0;ext=1\r",
    b"\nabcdefgh",
    b"ijklmnop\r",  # chunk data then CR / LF apart
    b"\n0\r\n",
    b"\r\n",
]


@pytest.mark.parametrize(
    "pieces",
    [AWKWARD_PIECES, [bytes([b]) for b in b"".join(AWKWARD_PIECES)]],
    ids=["awkward-splits", "one-byte-at-a-time"],
)
async def test_response_split_at_awkward_points(pieces: list[bytes]) -> None:
    async def handler(conn: ServerConn) -> None:
        while await conn.read_request() is not None:
            await conn.send(*pieces, pause=0.002)

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == b"abcdefghijklmnop"
        assert (await get(pool))[2] == b"abcdefghijklmnop"
        await pool.aclose()
    assert len(conns) == 1


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_two_megabyte_body_in_many_small_writes(framing: str) -> None:
    payload = bytes(range(256)) * (2 * 1024 * 1024 // 256)
    if framing == "chunked":
        wire = CHUNKED_HEAD + chunked(*(payload[i : i + 8000] for i in range(0, len(payload), 8000)))
    else:
        wire = ok(payload)

    async def handler(conn: ServerConn) -> None:
        while await conn.read_request() is not None:
            await conn.send(*(wire[i : i + 3001] for i in range(0, len(wire), 3001)))

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == payload
        assert (await get(pool, "/again"))[2] == payload
        await pool.aclose()
    assert len(conns) == 1


# -- 4. read until close ---------------------------------------------------------------------------
async def test_body_without_length_is_read_until_close_and_not_reused() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\npart one, ", b"part two", pause=0.01)
        conn.close()

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        assert await get(pool) == (200, {"x-a": "1"}, b"part one, part two")
        assert (await get(pool))[2] == b"part one, part two"
        await pool.aclose()
    assert len(conns) == 2


# -- 5. bodiless responses -------------------------------------------------------------------------
async def test_100_continue_is_skipped() -> None:
    reply = b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n" + ok(b"final", "X-Final: 1")
    async with scripted_server(lambda c: answer_all(c, reply)) as (port, conns):
        pool = make_pool(port)
        status, headers, body = await get(pool)
        assert (status, body) == (200, b"final")
        assert "x-interim" not in headers
        assert headers["x-final"] == "1"
        assert (await get(pool))[2] == b"final"
        await pool.aclose()
    assert len(conns) == 1


@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        ("GET", b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"),
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
    ],
    ids=["204", "304", "HEAD"],
)
async def test_bodiless_responses_complete_and_keep_the_connection(method: str, reply: bytes) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(reply)
        await answer_all(conn, ok(b"next"))

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        status, _, body = await get(pool, method=method)
        assert (status, body) == (int(reply[9:12]), b"")
        assert (await get(pool))[2] == b"next"  # nothing of the first answer was left to misread
        await pool.aclose()
    assert len(conns) == 1


# -- 6. content encodings --------------------------------------------------------------------------
def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


TEXT = b'{"tokens": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "note": "compressible compressible"}'


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [("gzip", gzip.compress(TEXT)), ("deflate", zlib.compress(TEXT)), ("deflate", _raw_deflate(TEXT))],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
async def test_compressed_bodies_are_decoded(encoding: str, encoded: bytes) -> None:
    reply = ok(encoded, f"Content-Encoding: {encoding}")
    async with scripted_server(lambda c: answer_all(c, reply)) as (port, _):
        pool = make_pool(port)
        assert (await get(pool))[2] == TEXT
        await pool.aclose()


async def test_unknown_content_encoding_is_a_protocol_error() -> None:
    async with scripted_server(lambda c: answer_all(c, ok(b"\x00\x01", "Content-Encoding: br"))) as (port, _):
        pool = make_pool(port)
        with pytest.raises(HTTPProtocolError, match="br"):
            await get(pool)
        await pool.aclose()


# -- 7. malformed responses ------------------------------------------------------------------------
MALFORMED = {
    "status-line-not-http": b"HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "status-code-not-numeric": b"HTTP/1.1 2xx OK\r\nContent-Length: 0\r\n\r\n",
    "header-without-colon": b"HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok",
    "header-folded": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 2\r\n\r\nok",
    "content-length-not-numeric": b"HTTP/1.1 200 OK\r\nContent-Length: 2a\r\n\r\nok",
    "content-length-negative": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok",
    "chunk-size-not-hex": CHUNKED_HEAD + b"zz\r\nok\r\n0\r\n\r\n",
    "chunk-without-crlf": CHUNKED_HEAD + b"2\r\nokXX0\r\n\r\n",
    "protocol-switch": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    "head-over-64KiB": b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 70_000,  # no end in sight
}


@pytest.mark.parametrize("reply", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_response_is_a_protocol_error_and_drops_the_connection(reply: bytes) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(reply)
        await conn.wait_eof()

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        with pytest.raises(HTTPProtocolError):
            await get(pool)
        await asyncio.wait_for(conns[0].eof.wait(), 2)  # the client closed the connection
        assert pool.stats["open"] == 0
        await pool.aclose()


async def test_content_length_with_a_superscript_digit_is_a_protocol_error() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nok")
        await conn.wait_eof()

    async with scripted_server(handler) as (port, _):
        pool = make_pool(port)
        with pytest.raises(HTTPProtocolError):
            await get(pool)
        await pool.aclose()


@pytest.mark.parametrize(
    "body",
    [b"0x3\r\nabc\r\n0\r\n\r\n", b"+3\r\nabc\r\n0\r\n\r\n", b"0_3\r\nabc\r\n0\r\n\r\n"],
    ids=["0x-prefix", "plus-sign", "underscore"],
)
async def test_non_hex_chunk_sizes_are_protocol_errors(body: bytes) -> None:
    async with scripted_server(lambda c: answer_all(c, CHUNKED_HEAD + body)) as (port, _):
        pool = make_pool(port)
        with pytest.raises(HTTPProtocolError):
            await get(pool, read_timeout=0.5)
        await pool.aclose()


async def test_a_head_over_64KiB_is_refused_even_when_it_ends() -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 70_000 + b"\r\nContent-Length: 2\r\n\r\nok"

    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(head[:40_000], head[40_000:], pause=0.05)  # each delivery below 64 KiB
        await conn.wait_eof()

    async with scripted_server(handler) as (port, _):
        pool = make_pool(port)
        with pytest.raises(HTTPProtocolError):
            await get(pool)
        await pool.aclose()


async def test_connection_closed_midway_through_the_body_is_a_connect_error() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        conn.close()

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        with pytest.raises(HTTPConnectError, match="before the response was complete"):
            await get(pool)
        assert pool.stats["open"] == 0
        await pool.aclose()
    assert len(conns) == 1  # a fresh connection that broke is not retried


# -- 8. read deadline ------------------------------------------------------------------------------
async def test_silent_server_is_a_read_timeout() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.wait_eof()

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        start = time.monotonic()
        with pytest.raises(HTTPTimeout) as info:
            await get(pool, read_timeout=0.3)
        elapsed = time.monotonic() - start
        assert info.value.phase == "read"
        assert 0.25 <= elapsed < 0.9
        await asyncio.wait_for(conns[0].eof.wait(), 2)  # the timed-out connection was closed
        assert pool.stats["open"] == 0
        await pool.aclose()


async def test_read_deadline_is_rearmed_while_bytes_keep_arriving() -> None:
    reply = ok(b"slow but steady")
    pieces = [reply[i : i + 6] for i in range(0, len(reply), 6)]  # 9 pieces, 0.1 s apart: ~0.8 s

    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(*pieces, pause=0.1)
        await conn.wait_eof()

    async with scripted_server(handler) as (port, _):
        pool = make_pool(port)
        start = time.monotonic()
        assert (await get(pool, read_timeout=0.3))[2] == b"slow but steady"
        assert time.monotonic() - start > 0.6  # well past one read_timeout in total
        await pool.aclose()


# -- 9. connect errors -----------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_connection_is_a_connect_error_not_a_timeout() -> None:
    pool = make_pool(_closed_port())
    with pytest.raises(HTTPConnectError) as info:
        await get(pool)
    assert not isinstance(info.value, HTTPTimeout)
    assert pool.stats["open"] == 0  # the failed connect gave its slot back
    await pool.aclose()


# -- 10. pool limits -------------------------------------------------------------------------------
async def test_third_request_waits_for_a_free_connection() -> None:
    gate = asyncio.Semaphore(0)

    async def handler(conn: ServerConn) -> None:
        while await conn.read_request() is not None:
            await gate.acquire()
            await conn.send(ok())

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port, max_connections=2)
        tasks = [asyncio.create_task(get(pool, f"/{i}")) for i in range(3)]
        await until(lambda: sum(len(c.requests) for c in conns) == 2 and pool.stats["waiting"] == 1)
        assert pool.stats == {"open": 2, "idle": 0, "waiting": 1}
        assert not any(t.done() for t in tasks)
        gate.release()  # one answer: its connection goes to the waiting request
        await until(lambda: sum(len(c.requests) for c in conns) == 3)
        assert pool.stats["waiting"] == 0
        gate.release()
        gate.release()
        assert [r[0] for r in await asyncio.gather(*tasks)] == [200, 200, 200]
        await pool.aclose()
    assert len(conns) == 2


async def test_waiting_for_a_free_connection_times_out_as_pool_phase() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.wait_eof()  # never answers

    async with scripted_server(handler) as (port, _):
        pool = make_pool(port, max_connections=1)
        hog = asyncio.create_task(get(pool, "/hog", read_timeout=5))
        await until(lambda: pool.stats["open"] == 1)
        start = time.monotonic()
        with pytest.raises(HTTPTimeout) as info:
            await get(pool, read_timeout=0.2)
        assert info.value.phase == "pool"
        assert time.monotonic() - start < 0.6
        assert pool.stats["waiting"] == 0
        hog.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hog
        await pool.aclose()


async def test_cancel_of_a_woken_waiter_passes_the_connection_on() -> None:
    gate = asyncio.Event()

    async def handler(conn: ServerConn) -> None:
        while await conn.read_request() is not None:
            await gate.wait()
            await conn.send(ok())

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port, max_connections=1)

        async def first_then_cancel_a() -> None:
            await get(pool, "/first")
            a.cancel()  # e.g. a hedged call: the first answer cancels its twin, which was just woken

        first = asyncio.create_task(first_then_cancel_a())
        await until(lambda: bool(conns) and bool(conns[0].requests))
        a = asyncio.create_task(get(pool, "/a"))
        b = asyncio.create_task(get(pool, "/b", read_timeout=0.5))
        await until(lambda: pool.stats["waiting"] == 2)
        gate.set()
        await first
        result_a, result_b = await asyncio.gather(a, b, return_exceptions=True)
        await pool.aclose()
    assert isinstance(result_a, asyncio.CancelledError)  # the cancellation was honoured
    assert not isinstance(result_b, BaseException)
    assert result_b[0] == 200
    assert not any(r.startswith(b"GET /a ") for c in conns for r in c.requests)


# -- 11. stale keep-alive connections --------------------------------------------------------------
async def test_idle_connection_closed_by_the_server_is_replaced() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(ok(b"one"))
        conn.close()  # keep-alive promised, then the server drops the idle connection

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == b"one"
        await asyncio.sleep(0.05)
        assert (await get(pool))[2] == b"one"
        await pool.aclose()
    assert len(conns) == 2


async def test_request_on_a_connection_the_server_dropped_unanswered_is_retried_once() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(ok(b"first"))
        if await conn.read_request() is not None:
            conn.close()  # the idle timeout fired just as the request arrived: no answer at all
            return
        await answer_all(conn)

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == b"first"
        assert (await get(pool, "/second"))[2] == b"first"  # served on a fresh connection
        await pool.aclose()
    assert len(conns) == 2
    assert conns[0].requests[1].startswith(b"GET /second ")  # it did reach the stale connection
    assert conns[1].requests[0].startswith(b"GET /second ")


async def test_connection_broken_after_response_bytes_is_not_retried() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(ok(b"first"))
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Le")
        conn.close()

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == b"first"
        with pytest.raises(HTTPConnectError):
            await get(pool, "/second")
        await pool.aclose()
    assert len(conns) == 1  # the request was not silently sent again


# -- 12. cancellation and close --------------------------------------------------------------------
async def test_cancelled_request_closes_its_connection_and_frees_the_slot() -> None:
    async def handler(conn: ServerConn) -> None:
        while (request := await conn.read_request()) is not None:
            if request.startswith(b"GET /hang "):
                await conn.wait_eof()
                return
            await conn.send(ok())

    async with scripted_server(handler) as (port, conns):
        pool = make_pool(port, max_connections=1)
        task = asyncio.create_task(get(pool, "/hang", read_timeout=5))
        await until(lambda: bool(conns) and bool(conns[0].requests))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(conns[0].eof.wait(), 2)  # the server saw the connection close
        assert pool.stats == {"open": 0, "idle": 0, "waiting": 0}
        assert (await get(pool))[0] == 200  # the single slot is usable again
        await pool.aclose()
    assert len(conns) == 2


async def test_aclose_leaves_no_connection_open() -> None:
    async with scripted_server(answer_all) as (port, conns):
        pool = make_pool(port)
        await asyncio.gather(*(get(pool, f"/{i}") for i in range(3)))
        assert pool.stats["idle"] == 3
        await pool.aclose()
        await asyncio.wait_for(asyncio.gather(*(c.eof.wait() for c in conns)), 2)
        assert pool.stats == {"open": 0, "idle": 0, "waiting": 0}
        with pytest.raises(HTTPConnectError, match="closed"):
            await get(pool)
    assert len(conns) == 3


# -- 13. header injection --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/", {"X-A": "v\r\nX-Evil: 1"}),
        ("/", {"X-A\r\nX-Evil": "1"}),
        ("/", {"X-A": "v\nX-Evil: 1"}),
        ("/ HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET /smuggled", {}),
    ],
    ids=["crlf-in-value", "crlf-in-name", "lf-in-value", "crlf-in-target"],
)
async def test_line_breaks_in_the_request_raise_before_anything_is_sent(
    target: str, headers: dict[str, str]
) -> None:
    async with scripted_server(answer_all) as (port, conns):
        pool = make_pool(port)
        with pytest.raises(ValueError, match="line breaks"):
            await pool.request("GET", target, headers, None, connect_timeout=2, read_timeout=2)
        await asyncio.sleep(0.02)
        assert conns == []  # not even a connection was opened
        await pool.aclose()


# -- 14. unsolicited bytes -------------------------------------------------------------------------
@pytest.mark.parametrize("gap", [0.0, 0.05], ids=["glued-to-the-answer", "while-idle"])
async def test_unsolicited_bytes_from_the_server_prevent_reuse(gap: float) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(ok(b"one"), pause=gap)  # with a gap, the connection is idle by then
        await conn.send(ok(b"bogus"))  # an answer to no request
        await answer_all(conn, ok(b"wrong connection"))

    async def fresh(conn: ServerConn) -> None:
        await (handler(conn) if len(conns) == 1 else answer_all(conn, ok(b"two")))

    async with scripted_server(fresh) as (port, conns):
        pool = make_pool(port)
        assert (await get(pool))[2] == b"one"
        await asyncio.wait_for(conns[0].eof.wait(), 2)  # the client dropped that connection
        assert (await get(pool))[2] == b"two"
        await pool.aclose()
    assert len(conns) == 2


# -- 15. through Transport -------------------------------------------------------------------------
def _transport(port: int) -> Transport:
    return Transport(ClientConfig(api_key=KEY, base_url=f"http://127.0.0.1:{port}"))


def _assert_no_key(exc: BaseException) -> None:
    seen: BaseException | None = exc
    while seen is not None:
        assert KEY not in str(seen)
        assert KEY not in repr(seen)
        seen = seen.__cause__ or seen.__context__


async def test_transport_lean_send_returns_decoded_json() -> None:
    reply = ok(gzip.compress(b'{"status": "ok", "n": 3}'), "Content-Encoding: gzip", "X-Request-Id: r-9")
    async with scripted_server(lambda c: answer_all(c, reply)) as (port, conns):
        transport = _transport(port)
        assert transport._lean is not None
        resp = await transport.send("session", "healthz", "GET", "/api/v1/healthz", read_timeout=2)
        await transport.aclose()
    assert isinstance(resp, RawResponse)
    assert (resp.status, resp.body, resp.request_id) == (200, {"status": "ok", "n": 3}, "r-9")
    request = conns[0].requests[0]
    assert request.startswith(b"GET /api/v1/healthz HTTP/1.1\r\n")
    assert f"\r\nX-API-Key: {KEY}\r\n".encode() in request


async def test_transport_maps_read_timeout_to_api_timeout_error() -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.wait_eof()

    async with scripted_server(handler) as (port, _):
        transport = _transport(port)
        with pytest.raises(tinkex.APITimeoutError) as info:
            await transport.send("session", "healthz", "GET", "/api/v1/healthz", read_timeout=0.3)
        await transport.aclose()
    assert isinstance(info.value.__cause__, HTTPTimeout)
    _assert_no_key(info.value)


async def test_transport_maps_refused_connection_to_api_connection_error() -> None:
    transport = _transport(_closed_port())
    with pytest.raises(tinkex.APIConnectionError) as info:
        await transport.send("session", "healthz", "GET", "/api/v1/healthz", read_timeout=2)
    await transport.aclose()
    assert not isinstance(info.value, tinkex.APITimeoutError)
    assert isinstance(info.value.__cause__, HTTPConnectError)
    _assert_no_key(info.value)


async def test_transport_maps_protocol_error_to_api_connection_error() -> None:
    reply = b"garbage " + KEY.encode() + b"\r\n\r\n"  # the status line echoes the key
    async with scripted_server(lambda c: answer_all(c, reply)) as (port, _):
        transport = _transport(port)
        with pytest.raises(tinkex.APIConnectionError) as info:
            await transport.send("session", "healthz", "GET", "/api/v1/healthz", read_timeout=2)
        await transport.aclose()
    assert not isinstance(info.value, tinkex.APITimeoutError)
    assert isinstance(info.value.__cause__, HTTPTransportError)
    assert "HTTPProtocolError" in str(info.value.__cause__)
    # Even when the server echoes the key back: neither the message nor the chained cause quote it.
    _assert_no_key(info.value)


def test_transport_leaves_proxied_base_urls_to_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert _transport(8123)._lean is not None
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    assert _transport(8123)._lean is None


# -- review fixes ----------------------------------------------------------------------------------
async def test_idle_connection_past_the_keepalive_expiry_is_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A NAT may drop an idle flow without a FIN; reusing it would cost a whole read timeout.
    monkeypatch.setattr(http11, "KEEPALIVE_EXPIRY", 0.05)
    async with scripted_server(answer_all) as (port, conns):
        pool = make_pool(port)
        await get(pool)
        await get(pool)  # within the expiry: the same connection
        assert len(conns) == 1
        await asyncio.sleep(0.1)
        await get(pool)
        assert len(conns) == 2
        await asyncio.wait_for(conns[0].eof.wait(), 2)  # the expired one was closed, not leaked
        await pool.aclose()


async def test_caller_headers_merge_case_insensitively_and_the_length_is_ours() -> None:
    async with scripted_server(answer_all) as (port, conns):
        pool = make_pool(port)
        headers = {"host": "api.example", "Content-Length": "999", "X-A": "1", "x-a": "2"}
        await pool.request("POST", "/p", headers, b"abc", connect_timeout=2, read_timeout=2)
        await pool.aclose()
    head = conns[0].requests[0].split(b"\r\n\r\n")[0].lower()
    assert head.count(b"\r\nhost:") == 1
    assert b"\r\nhost: api.example" in head
    assert re.findall(rb"\r\ncontent-length: *(\d+)", head) == [b"3"]
    assert re.findall(rb"\r\nx-a: *(\S+)", head) == [b"2"]


async def test_transport_keeps_a_callers_accept_encoding() -> None:
    async with scripted_server(answer_all) as (port, conns):
        transport = _transport(port)
        await transport.send(
            "session",
            "healthz",
            "GET",
            "/api/v1/healthz",
            headers={"accept-encoding": "identity"},
            read_timeout=2,
        )
        await transport.aclose()
    head = conns[0].requests[0].lower()
    assert re.findall(rb"\r\naccept-encoding: *([^\r]+)", head) == [b"identity"]


async def test_a_host_name_the_resolver_refuses_is_a_connect_error() -> None:
    pool = ConnectionPool("http", "a..example", 80, ssl_context=None, max_connections=1)
    with pytest.raises(HTTPConnectError):
        await get(pool)
    assert pool.stats["open"] == 0
    await pool.aclose()


@pytest.mark.parametrize("url", ["http://user@127.0.0.1:8123", "http://:pw@127.0.0.1:8123"])
def test_credentials_in_the_base_url_go_to_httpx(url: str) -> None:
    assert _lean_origin(url) is None
    assert _lean_origin("http://127.0.0.1:8123/prefix/") == ("http", "127.0.0.1", 8123, "/prefix")
