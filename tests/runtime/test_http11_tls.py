"""The lean HTTP/1.1 client (`tinkex._runtime._http11`) over TLS, against scripted servers on 127.0.0.1
with a throwaway CA made by the `openssl` CLI: certificate and host-name verification (SNI), keep-alive
reuse, a large chunked body, the server closing with and without close_notify (and with a reset),
read deadlines, and `Transport` on an https base URL."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import ssl
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tinkex._config import ClientConfig
from tinkex._exceptions import APIConnectionError
from tinkex._runtime._http11 import ConnectionPool, HTTPConnectError, HTTPTimeout
from tinkex._runtime._transport import Transport

KEY = "tml-FAKE-KEY-must-never-leak-7f3a9c"
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl CLI")


# -- a throwaway CA and server certificates ------------------------------------------------------------
class Certs(NamedTuple):
    ca: Path  # the test CA's certificate (PEM)
    full: tuple[Path, Path]  # (cert, key) with subjectAltName DNS:localhost, IP:127.0.0.1
    dns_only: tuple[Path, Path]  # (cert, key) with subjectAltName DNS:localhost only


def _openssl(*args: str | Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *map(str, args)], check=True, capture_output=True, timeout=30)


def _issue(d: Path, ca: Path, ca_key: Path, name: str, san: str) -> tuple[Path, Path]:
    key, csr, cert, ext = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.pem", d / f"{name}.ext"
    ext.write_text(
        f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    _openssl(
        *("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", key, "-out", csr, "-subj", "/CN=localhost"),
    )
    _openssl(
        *("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial"),
        *("-days", "2", "-sha256", "-extfile", ext, "-out", cert),
    )
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    d = tmp_path_factory.mktemp("tls")
    ca, ca_key = d / "ca.pem", d / "ca.key"
    _openssl(
        *("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", ca_key, "-out", ca, "-days", "2", "-sha256", "-subj", "/CN=tinkex test CA"),
        *("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"),
    )
    return Certs(
        ca,
        _issue(d, ca, ca_key, "full", "DNS:localhost,IP:127.0.0.1"),
        _issue(d, ca, ca_key, "dns_only", "DNS:localhost"),
    )


def client_ctx(certs: Certs) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))


# -- a scripted TLS server -------------------------------------------------------------------------
class ServerConn:
    """One accepted TLS connection: read requests, write raw bytes, close in several ways."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.requests: list[bytes] = []

    async def read_request(self) -> bytes | None:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
            body = await self.reader.readexactly(int(m.group(1))) if m else b""
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return None
        self.requests.append(head + body)
        return head + body

    async def send(self, *pieces: bytes) -> None:
        for piece in pieces:
            self.writer.write(piece)
            await self.writer.drain()

    async def hang(self) -> None:
        """Read and drop whatever comes until the client goes away."""
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            while await self.reader.read(65536):
                pass

    def end(self, how: str) -> None:
        """Close as `how` says: "notify" (close_notify, then FIN), "fin" (no close_notify), "rst" (a reset)."""
        if how == "notify":
            self.writer.close()
            return
        if how == "rst":
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


@contextlib.asynccontextmanager
async def tls_server(
    cert: tuple[Path, Path], handler: Callable[[ServerConn], Awaitable[None]]
) -> AsyncIterator[tuple[int, list[ServerConn], list[str | None]]]:
    """Serve `handler` per accepted TLS connection; yield (port, connections, SNI names seen)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    sni: list[str | None] = []
    ctx.sni_callback = lambda _obj, name, _ctx: sni.append(name)
    conns: list[ServerConn] = []
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = ServerConn(reader, writer)
        conns.append(conn)
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handler(conn)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()  # no waiting on a TLS shutdown when the test is over

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=ctx)
    try:
        yield server.sockets[0].getsockname()[1], conns, sni
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def ok(body: bytes = b"ok", *headers: str) -> bytes:
    head = "\r\n".join(["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *headers])
    return head.encode() + b"\r\n\r\n" + body


async def answer_all(conn: ServerConn, reply: bytes = b"") -> None:
    while await conn.read_request() is not None:
        await conn.send(reply or ok())


def make_pool(port: int, ctx: ssl.SSLContext, host: str = "localhost") -> ConnectionPool:
    return ConnectionPool("https", host, port, ssl_context=ctx, max_connections=4)


async def get(pool: ConnectionPool, target: str = "/", *, read_timeout: float = 2.0) -> tuple[int, bytes]:
    status, _, body = await pool.request(
        "GET", target, {}, None, connect_timeout=2.0, read_timeout=read_timeout
    )
    return status, body


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# -- a. a response, then keep-alive reuse of the TLS connection ------------------------------------
async def test_https_request_and_reuse_of_the_tls_connection(certs: Certs) -> None:
    async with tls_server(certs.full, lambda c: answer_all(c, ok(b'{"x": 1}'))) as (port, conns, sni):
        pool = make_pool(port, client_ctx(certs))
        assert await get(pool) == (200, b'{"x": 1}')
        assert await get(pool, "/again") == (200, b'{"x": 1}')
        assert pool.stats == {"open": 1, "idle": 1, "waiting": 0}
        await pool.aclose()
    assert len(conns) == 1
    assert [r.split(b"\r\n")[0] for r in conns[0].requests] == [b"GET / HTTP/1.1", b"GET /again HTTP/1.1"]
    assert f"\r\nHost: localhost:{port}\r\n".encode() in conns[0].requests[0]
    assert sni == ["localhost"]  # the host name went out as SNI


# -- b. certificate and host-name verification -----------------------------------------------------
async def test_untrusted_certificate_is_a_connect_error(certs: Certs) -> None:
    async with tls_server(certs.full, answer_all) as (port, conns, _):
        pool = make_pool(port, ssl.create_default_context())  # the system CAs: not the test CA
        start = time.monotonic()
        with pytest.raises(HTTPConnectError, match="CERTIFICATE_VERIFY_FAILED") as info:
            await get(pool)
        assert time.monotonic() - start < 1.0
        assert not isinstance(info.value, HTTPTimeout)
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
        assert pool.stats["open"] == 0
        await pool.aclose()
    assert conns == []  # the handshake failed: no request went to the unverified server


async def test_host_name_is_verified_against_the_certificate(certs: Certs) -> None:
    ctx = client_ctx(certs)
    async with tls_server(certs.full, answer_all) as (port, _, _):  # IP:127.0.0.1 is in this one
        pool = make_pool(port, ctx, host="127.0.0.1")
        assert await get(pool) == (200, b"ok")
        await pool.aclose()
    async with tls_server(certs.dns_only, answer_all) as (port, conns, _):
        pool = make_pool(port, ctx, host="127.0.0.1")  # a trusted certificate, but not for this name
        with pytest.raises(HTTPConnectError, match="IP address mismatch") as info:
            await get(pool)
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
        await pool.aclose()
        pool = make_pool(port, ctx)  # the same server under the name its certificate has
        assert await get(pool) == (200, b"ok")
        await pool.aclose()
    assert len(conns) == 1  # the refused handshake never became a connection on the server
    assert len(conns[0].requests) == 1


# -- c. a large chunked body -----------------------------------------------------------------------
async def test_two_megabyte_chunked_body_over_tls(certs: Certs) -> None:
    payload = bytes(range(256)) * (2 * 1024 * 1024 // 256)
    chunks = b"".join(b"%x\r\n%s\r\n" % (16000, payload[i : i + 16000]) for i in range(0, 2_096_000, 16000))
    tail = payload[2_096_000:]
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    wire += b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail)

    async def handler(conn: ServerConn) -> None:
        while await conn.read_request() is not None:
            await conn.send(*(wire[i : i + 50_001] for i in range(0, len(wire), 50_001)))

    async with tls_server(certs.full, handler) as (port, conns, _):
        pool = make_pool(port, client_ctx(certs))
        assert await get(pool) == (200, payload)
        assert await get(pool, "/again") == (200, payload)
        await pool.aclose()
    assert len(conns) == 1


# -- d. the server closing the TLS connection ------------------------------------------------------
CLOSES = ["notify", "fin", "rst"]


@pytest.mark.parametrize("how", CLOSES)
async def test_connection_closed_after_a_response_is_replaced(certs: Certs, how: str) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(ok(b"one"))
        conn.end(how)  # keep-alive promised, then the connection goes away while idle

    async with tls_server(certs.full, handler) as (port, conns, _):
        pool = make_pool(port, client_ctx(certs))
        assert await get(pool) == (200, b"one")
        await asyncio.sleep(0.05)
        assert await get(pool) == (200, b"one")
        await pool.aclose()
    assert len(conns) == 2


@pytest.mark.parametrize("how", CLOSES)
async def test_request_on_a_connection_closed_unanswered_is_retried(certs: Certs, how: str) -> None:
    async def handler(conn: ServerConn) -> None:
        if len(conns) > 1:
            await answer_all(conn, ok(b"fresh"))
            return
        await conn.read_request()
        await conn.send(ok(b"first"))
        await conn.read_request()
        conn.end(how)  # the idle timeout fired just as the second request arrived

    async with tls_server(certs.full, handler) as (port, conns, _):
        pool = make_pool(port, client_ctx(certs))
        assert await get(pool) == (200, b"first")
        assert await get(pool, "/second") == (200, b"fresh")
        await pool.aclose()
    assert len(conns) == 2
    assert conns[0].requests[1].startswith(b"GET /second ")  # it did reach the stale connection
    assert conns[1].requests[0].startswith(b"GET /second ")


@pytest.mark.parametrize("how", CLOSES)
async def test_connection_closed_midway_through_the_body_is_a_connect_error(certs: Certs, how: str) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await asyncio.sleep(0.02)  # the head and part of the body are delivered first
        conn.end(how)

    async with tls_server(certs.full, handler) as (port, conns, _):
        pool = make_pool(port, client_ctx(certs))
        with pytest.raises(HTTPConnectError, match="before the response was complete") as info:
            await get(pool)
        assert not isinstance(info.value, HTTPTimeout)
        assert pool.stats["open"] == 0
        await pool.aclose()
    assert len(conns) == 1  # bytes of an answer had arrived: not sent again


# -- e. read deadline ------------------------------------------------------------------------------
async def test_silent_tls_server_is_a_read_timeout(certs: Certs) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        await conn.hang()

    async with tls_server(certs.full, handler) as (port, conns, _):
        pool = make_pool(port, client_ctx(certs))
        start = time.monotonic()
        with pytest.raises(HTTPTimeout) as info:
            await get(pool, read_timeout=0.3)
        elapsed = time.monotonic() - start
        assert info.value.phase == "read"
        assert 0.25 <= elapsed < 0.9
        assert len(conns[0].requests) == 1  # the handshake completed and the request arrived
        assert pool.stats["open"] == 0
        await pool.aclose()


# -- f. through Transport --------------------------------------------------------------------------
async def test_transport_over_https_verifies_with_its_default_context(
    certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = ok(b'{"status": "ok", "n": 3}', "X-Request-Id: r-9")
    async with tls_server(certs.full, lambda c: answer_all(c, reply)) as (port, conns, sni):
        config = ClientConfig(api_key=KEY, base_url=f"https://localhost:{port}")
        untrusting = Transport(config)
        assert untrusting._lean is not None
        with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusting.send("session", "healthz", "GET", "/api/v1/healthz", read_timeout=2)
        await untrusting.aclose()

        # OpenSSL's default verify paths honour SSL_CERT_FILE: Transport._ssl_context() builds its
        # own context, unchanged, and that context now trusts the test CA.
        monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca))
        transport = Transport(config)
        assert transport._lean is not None
        resp = await transport.send("session", "healthz", "GET", "/api/v1/healthz", read_timeout=2)
        assert transport._lean_pools["session"]._ssl is transport._ssl  # the lean pool speaks TLS
        await transport.aclose()
    assert (resp.status, resp.body, resp.request_id) == (200, {"status": "ok", "n": 3}, "r-9")
    assert sni[-1] == "localhost"
    request = conns[-1].requests[0]
    assert request.startswith(b"GET /api/v1/healthz HTTP/1.1\r\n")
    assert f"\r\nX-API-Key: {KEY}\r\n".encode() in request


# -- g. closing does not wait on the peer's TLS shutdown -------------------------------------------
@pytest.mark.parametrize("when", ["pool-aclose", "after-read-timeout"])
async def test_closed_connections_release_their_socket_without_waiting_for_the_peer(
    certs: Certs, when: str
) -> None:
    async def handler(conn: ServerConn) -> None:
        await conn.read_request()
        if when == "pool-aclose":
            await conn.send(ok())
        transport = conn.writer.transport
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # a far-away peer: its close_notify is an RTT away
        await asyncio.sleep(5)

    async with tls_server(certs.full, handler) as (port, _, _):
        pool = make_pool(port, client_ctx(certs))
        sockets: list[socket.socket] = []
        orig_connect = pool._connect

        async def connect(connect_timeout: float) -> Any:
            conn = await orig_connect(connect_timeout)
            sockets.append(conn.transport.get_extra_info("socket"))  # type: ignore[union-attr]
            return conn

        pool._connect = connect  # type: ignore[method-assign]
        if when == "pool-aclose":
            assert await get(pool) == (200, b"ok")
        else:
            with pytest.raises(HTTPTimeout):
                await get(pool, read_timeout=0.1)
        await pool.aclose()
        await asyncio.sleep(0.1)  # a few loop turns: a real shutdown ends sooner than this
        still_open = [s for s in sockets if s.fileno() != -1]
        assert pool.stats["open"] == 0
        assert still_open == [], "the pool reports no open connection, yet the socket is open"
