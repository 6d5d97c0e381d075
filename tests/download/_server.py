"""A small threaded HTTP server on 127.0.0.1 serving archives with Range support and scripted faults
(dropped connections, "preparing" 503s, ignored or wrong ranges, wrong checksums, redirects)."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import socket
import threading
from collections import defaultdict, deque
from typing import Any

import attrs


@attrs.define
class Fault:
    """One scripted answer. kind: "drop" (send `n` body bytes then cut the connection), "status"
    (answer `status` with `headers`), "ignore_range" (answer 200 with the whole file),
    "shift_range" (answer 206 starting `n` bytes later than asked), "ignore_range_drop" (answer 200
    with the whole file but cut the connection after `n` body bytes), "new_etag" (answer with the
    file's bytes but a different ETag, as after the object was replaced)."""

    kind: str
    n: int = 0
    status: int = 200
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b"not yet"


@attrs.define
class Resource:
    data: bytes
    headers: dict[str, str] = attrs.field(factory=dict)
    checksum: bool = True
    script: deque[Fault] = attrs.field(factory=deque)


class ArchiveServer:
    """Serve `resources[path]`; records every request's (path, headers) in `requests`."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.per_path: dict[str, int] = defaultdict(int)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.handle(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, query: str = "sig=SECRETSIGNATURE") -> str:
        return f"http://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def start(self) -> ArchiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    # --- request handling --------------------------------------------------------------------

    def handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        self.requests.append((path, {k.lower(): v for k, v in h.headers.items()}))
        self.per_path[path] += 1
        if path in self.redirects:
            h.send_response(302)
            h.send_header("Location", self.redirects[path])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        res = self.resources.get(path)
        if res is None:
            self._simple(h, 404, b"no such object")
            return
        fault = res.script.popleft() if res.script else None
        if fault is not None and fault.kind == "status":
            self._simple(h, fault.status, fault.body, fault.headers)
            return
        data = res.data
        start = 0
        rng = h.headers.get("Range")
        if rng and (fault is None or fault.kind not in ("ignore_range", "ignore_range_drop")):
            start = int(rng.split("=", 1)[1].split("-", 1)[0])
            if fault is not None and fault.kind == "shift_range":
                start += fault.n
            if start >= len(data):
                self._simple(h, 416, b"", {"Content-Range": f"bytes */{len(data)}"})
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            h.send_response(200)
        h.send_header("Content-Length", str(len(data) - start))
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Content-Type", "application/x-tar")
        if res.checksum:
            h.send_header("X-Checksum-Sha256", hashlib.sha256(data).hexdigest())
        headers = dict(res.headers)
        if fault is not None and fault.kind == "new_etag":
            headers["ETag"] = '"replaced"'
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        body = memoryview(data)[start:]
        dropping = fault is not None and fault.kind in ("drop", "ignore_range_drop")
        limit = min(fault.n, len(body)) if fault is not None and dropping else len(body)
        try:
            pos = 0
            while pos < limit:
                n = min(256 * 1024, limit - pos)
                h.wfile.write(body[pos : pos + n])
                pos += n
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
            return
        if dropping:
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _simple(
        h: http.server.BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
