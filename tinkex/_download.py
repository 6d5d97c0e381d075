"""Checkpoint archive download: stream a signed storage URL to disk in constant memory, resume dropped
connections with HTTP Range, wait out "archive still being prepared", verify size and checksum, and
rename the file into place atomically. `download_checkpoint` adds the RestClient lookup and safe
extraction (`tinkex._archive`).

The decisions (what a response means, how long to wait, whether the bytes are right) are pure and
table-tested; `_attempt` / `_run_download` are the thin I/O shell, run directly by the sync call and
on a worker thread by the async one. The storage host gets a bare stdlib HTTP client of its own
(urllib; see `_opener` for why): no API key and no Tinker header ever leave for it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hashlib
import http.client
import os
import queue
import random
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import attrs

from tinkex._archive import DEFAULT_MAX_EXTRACT_SIZE, extract_archive, missing_dirs, remove_empty_dirs
from tinkex._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    TinkexValidationError,
    status_error_for,
)
from tinkex._policy._retry import ErrorTraits, backoff_delay, error_traits, parse_retry_after
from tinkex._tinker_path import parse_tinker_path
from tinkex._version import __version__

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DOWNLOAD_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_PREPARE_TIMEOUT",
    "PREPARING_STATUSES",
    "CheckpointDownload",
    "DownloadIntegrityError",
    "DownloadResult",
    "checkpoint_dir_name",
    "classify_response",
    "download_archive",
    "download_archive_async",
    "download_checkpoint",
    "download_checkpoint_async",
    "expected_sha256",
    "parse_content_range",
]

# --- defaults (sources in the comments) -----------------------------------------------------------

# Progress is reported every 1 MiB: often enough for a smooth bar, rare enough to cost nothing.
# Memory stays flat regardless: the socket is read into a few reused chunk_size buffers (see _Writer).
DEFAULT_CHUNK_SIZE = 1 << 20
# Per read/connect timeout; the official CLI downloads with urllib and a 30 s timeout.
DEFAULT_DOWNLOAD_TIMEOUT = 30.0
# Attempts in a row that make no progress before giving up. An attempt that wrote bytes resets the
# count, so a long download over a flaky link keeps resuming as long as it moves forward.
DEFAULT_MAX_ATTEMPTS = 8
# How long to wait for an archive the server is still preparing (202 / 503). Archives of multi-GB
# training checkpoints are assembled on demand; ten minutes is generous without hanging forever.
DEFAULT_PREPARE_TIMEOUT = 600.0
# Backoff between attempts and Retry-After reading are the SDK-wide pure functions of
# tinkex._policy._retry (RetryConfig defaults: 0.5 s doubling, capped at 10 s, 25 % jitter; a
# Retry-After above 60 s is ignored in favour of backoff).

# "The archive is still being prepared, ask again": 202 Accepted (the request is being processed)
# and 503 Service Unavailable (what the local server and object stores send while a file is not
# ready; usually with Retry-After). A 404 counts only when it carries Retry-After, which a missing
# object never does; a plain 404 is final.
PREPARING_STATUSES = frozenset({202, 503})
# Transient failures worth another attempt (counted against max_attempts).
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 504})

# What object stores answer for an expired or revoked signed URL; a fresh URL from the Tinker API
# then resumes the download. Twice in a row at most (a third refusal is not an expiry); bytes
# received through a fresh URL reset the count.
URL_EXPIRED_STATUSES = frozenset({401, 403, 410})
MAX_URL_REFRESHES = 2

ProgressCallback = Callable[[int, int | None], None]


class DownloadIntegrityError(APIResponseValidationError):
    """The downloaded bytes do not match the announced size or checksum; nothing was kept.

    Example::

        try:
            tinkex.download_archive(url, "ckpt.tar", sha256=digest)
        except tinkex.DownloadIntegrityError as e:
            print(e)
    """

    def _traits(self) -> ErrorTraits:
        # Bytes damaged in transit: downloading again can succeed.
        return error_traits(transient=True)


@attrs.frozen
class DownloadResult:
    """What `download_archive` wrote.

    Example::

        r = tinkex.download_archive(url, "ckpt.tar")
        print(r.path, r.size, r.sha256, r.resumes)
    """

    path: Path
    size: int
    sha256: str
    # How many times a dropped connection was resumed with a Range request.
    resumes: int = 0
    # Whether a checksum announced by the server or the caller was verified.
    verified: bool = False


@attrs.frozen
class CheckpointDownload:
    """What `download_checkpoint` produced: the extracted directory (or the archive file).

    Example::

        d = tinkex.download_checkpoint(rest_client, "tinker://run/weights/0001", "out")
        print(d.path, d.size_bytes)
    """

    tinker_path: str
    path: Path
    size_bytes: int
    sha256: str
    extracted: bool


# --- pure decisions --------------------------------------------------------------------------------


@attrs.frozen
class ContentRange:
    """A parsed `Content-Range: bytes start-end/total` (total None for `*`)."""

    start: int
    end: int
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """Parse a byte `Content-Range` header; None when absent or malformed.

    Example::

        >>> parse_content_range("bytes 100-199/1000")
        ContentRange(start=100, end=199, total=1000)
    """
    if not value:
        return None
    unit, _, rest = value.strip().partition(" ")
    if unit.lower() != "bytes" or "/" not in rest:
        return None
    span, _, total_s = rest.partition("/")
    try:
        total = None if total_s.strip() == "*" else int(total_s)
        start_s, _, end_s = span.partition("-")
        start, end = int(start_s), int(end_s)
    except ValueError:
        return None
    if start < 0 or end < start or (total is not None and end >= total):
        return None
    return ContentRange(start, end, total)


def expected_sha256(headers: Mapping[str, str]) -> str | None:
    """The SHA-256 of the whole file announced by the server, as lowercase hex, or None.

    Understood: `X-Checksum-Sha256: <hex>` (the local server), `Repr-Digest: sha-256=:<base64>:`
    (RFC 9530) and `Digest: SHA-256=<base64>` (RFC 3230). `Content-Digest` is ignored: on a 206 it
    covers only the partial body.

    Example::

        >>> expected_sha256({"x-checksum-sha256": "AB" * 32}) == "ab" * 32
        True
    """
    lower = {k.lower(): v for k, v in headers.items()}
    hex_value = lower.get("x-checksum-sha256", "").strip().lower()
    if len(hex_value) == 64 and all(c in "0123456789abcdef" for c in hex_value):
        return hex_value
    for header, sep in (("repr-digest", "="), ("digest", "=")):
        for item in lower.get(header, "").split(","):
            algo, eq, val = item.strip().partition(sep)
            if not eq or algo.strip().lower() != "sha-256":
                continue
            val = val.strip().strip(":")
            try:
                raw = base64.b64decode(val, validate=True)
            except (binascii.Error, ValueError):
                continue
            if len(raw) == 32:
                return raw.hex()
    return None


@attrs.frozen
class Stream:
    """Write the body; it starts at byte `start` of the file (0 = start over)."""

    start: int
    total: int | None
    sha256: str | None
    validator: str | None


@attrs.frozen
class Wait:
    """Ask again after `delay` seconds (None = backoff); `preparing` waits are bounded by the
    prepare deadline instead of max_attempts; `restart` drops what was written."""

    delay: float | None
    preparing: bool = False
    restart: bool = False
    reason: str = ""
    status: int | None = None


@attrs.frozen
class Fail:
    """Give up with this HTTP status (raised as the matching APIStatusError subclass)."""

    status: int
    reason: str = ""


Decision = Stream | Wait | Fail


def classify_response(
    status: int,
    headers: Mapping[str, str],
    *,
    offset: int,
    known_total: int | None,
    now: float,
    known_sha256: str | None = None,
    known_validator: str | None = None,
) -> Decision:
    """Decide what a storage answer means when `offset` bytes are already on disk (pure).

    * 200: the whole file; stream from 0 (a server that ignored our Range starts over).
    * 206: must cover exactly `offset`.. of a file of the same total, checksum and validator
      (strong ETag or Last-Modified, `known_validator`); else start over.
    * 202 / 503 (and 404 with Retry-After): still preparing; wait Retry-After or back off.
    * 408 / 429 / 500 / 502 / 504: transient; back off (Retry-After honoured).
    * 416 with offset > 0: our partial file no longer fits the server's; start over.
    * anything else: fail with that status.

    Example::

        >>> classify_response(503, {"retry-after": "1"}, offset=0, known_total=None, now=0.0)
        Wait(delay=1.0, preparing=True, restart=False, reason='HTTP 503: archive not ready yet', status=None)
    """
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = parse_retry_after(lower, now=lambda: now)
    validator = lower.get("etag") if not lower.get("etag", "W/").startswith("W/") else None
    validator = validator or lower.get("last-modified")
    if status == 200:
        length = _content_length(lower)
        return Stream(0, length, expected_sha256(lower), validator)
    if status == 206:
        cr = parse_content_range(lower.get("content-range"))
        if cr is None or cr.start != offset:
            return Wait(0.0, restart=True, reason="HTTP 206 with a Content-Range that does not match")
        if known_total is not None and cr.total is not None and cr.total != known_total:
            return Wait(0.0, restart=True, reason="the file changed size on the server")
        digest = expected_sha256(lower)
        if known_sha256 is not None and digest is not None and digest != known_sha256:
            return Wait(0.0, restart=True, reason="the file changed on the server")
        # We sent If-Range, so a host that honours it answers 200 for a changed file; one that
        # ignores it answers 206 with the new validator, and the kept prefix is the old file's.
        if _validator_changed(known_validator, validator):
            return Wait(0.0, restart=True, reason="the file changed on the server")
        return Stream(offset, cr.total, digest, validator)
    if status in PREPARING_STATUSES or (status == 404 and retry_after is not None):
        return Wait(retry_after, preparing=True, reason=f"HTTP {status}: archive not ready yet")
    if status in TRANSIENT_STATUSES:
        return Wait(retry_after, reason=f"HTTP {status}", status=status)
    if status == 416 and offset > 0:
        return Wait(0.0, restart=True, reason="HTTP 416: the partial file does not fit the server's")
    return Fail(status)


def _validator_changed(known: str | None, seen: str | None) -> bool:
    """Whether two validators of the same kind differ (an ETag is quoted, a Last-Modified not;
    a host may send either, so different kinds are not comparable)."""
    if known is None or seen is None or known.startswith('"') != seen.startswith('"'):
        return False
    return known != seen


def _content_length(lower: Mapping[str, str]) -> int | None:
    try:
        n = int(lower.get("content-length", ""))
    except ValueError:
        return None
    return n if n >= 0 else None


def checkpoint_dir_name(tinker_path: str) -> str:
    """The local directory name for a checkpoint: the path without `tinker://`, `/` replaced by
    `_` (the official CLI's convention), validated so it can never name a parent directory.

    Example::

        >>> checkpoint_dir_name("tinker://run-1/weights/0001")
        'run-1_weights_0001'
    """
    parsed = parse_tinker_path(tinker_path, field="tinker_path")
    parts = [parsed.training_run_id, parsed.kind, parsed.name]
    # Stricter than the path grammar: the parts become a file name, so none may be a relative-path
    # component or carry a Windows separator / NUL.
    if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        raise TinkexValidationError(
            "tinker_path", f"{tinker_path!r} has a component that is unsafe as a file name"
        )
    return "_".join(parts)


def _safe_url(url: str) -> str:
    """The URL without its query string: signed URLs carry their credentials in the query."""
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.netloc.rsplit('@', 1)[-1]}{u.path}"


def _url_secrets(url: str) -> list[str]:
    """What of a signed URL must never be shown: its query string and each of its values, and any
    user:password, longest first (values shorter than 6 characters, e.g. `X-Amz-Expires=900`,
    are not secrets and would only blot out unrelated text)."""
    u = urllib.parse.urlsplit(url)
    found = [u.query, *(v for _, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True))]
    found += [urllib.parse.unquote(v) for v in found]
    if "@" in u.netloc:
        found.append(u.netloc.rsplit("@", 1)[0])
    return sorted({f for f in found if len(f) >= 6}, key=len, reverse=True)


def _redact_url(text: str, url: str) -> str:
    """`text` (an error body, an exception message) with the URL's secrets replaced."""
    for secret in _url_secrets(url):
        text = text.replace(secret, "<redacted>")
    return text


def _check_url(url: str) -> str:
    """The URL, if it is an absolute http(s) URL without whitespace or control characters. Anything
    else is refused before a request: urllib would also open `file:` and `ftp:` URLs, and its
    errors for a malformed URL quote the whole URL, signature included."""
    u = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if (
        u is None
        or u.scheme.lower() not in ("http", "https")
        or not u.netloc
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)
    ):
        shown = _safe_url(url) if isinstance(url, str) else type(url).__name__
        raise TinkexValidationError(
            "url", f"{shown!r} is not an http(s) URL", "pass the signed URL the Tinker API returned"
        )
    return url


# --- state of one download (no I/O) ----------------------------------------------------------------


@attrs.define
class _State:
    """Mutable bookkeeping of one download; every transition is a method without I/O."""

    url: str = attrs.field(repr=_safe_url)  # the query holds the signature
    expected_size: int | None
    expected_digest: str | None
    max_attempts: int
    prepare_timeout: float
    offset: int = 0
    total: int | None = None
    server_digest: str | None = None
    validator: str | None = None
    failures: int = 0  # attempts in a row without progress
    waits: int = 0  # preparing answers so far (drives their backoff)
    resumes: int = 0
    refreshes: int = 0
    progressed: bool = False
    # The furthest offset any attempt reached. Progress means passing it: a host that ignores
    # Range and is cut at the same byte every time rewrites the same prefix, which is no progress
    # (counting it as progress reset `failures` on every attempt and looped forever).
    high_water: int = 0
    # When the current run of "preparing" answers must end: set by the first of them, cleared when
    # a body starts. A deadline from the call's start failed a multi-GB download that met a brief
    # 503 on a resume after more than prepare_timeout seconds of transfer.
    prepare_deadline: float | None = None
    # high_water at the last URL refresh (see may_refresh).
    refreshed_at: int = 0

    def may_refresh(self, status: int) -> bool:
        """Whether a failed status means "the signed URL expired" and a fresh one may be tried.

        Refusals in a row are bounded (MAX_URL_REFRESHES); bytes received since the last refresh
        prove the fresh URL worked, so a long download may outlive any number of expiries."""
        if status not in URL_EXPIRED_STATUSES:
            return False
        if self.high_water > self.refreshed_at:
            self.refreshes = 0
        if self.refreshes >= MAX_URL_REFRESHES:
            return False
        self.refreshes += 1
        self.refreshed_at = self.high_water
        return True

    def request_headers(self) -> dict[str, str]:
        # identity: the bytes on disk must be the file's bytes, whatever a proxy would compress.
        headers = {"Accept-Encoding": "identity"}
        if self.offset > 0:
            headers["Range"] = f"bytes={self.offset}-"
            if self.validator:
                headers["If-Range"] = self.validator
        return headers

    def restart(self) -> None:
        self.offset = 0
        self.total = None
        self.server_digest = None
        self.validator = None

    def begin(self, decision: Stream) -> None:
        """Start writing a body that begins at `decision.start` (0 = start over)."""
        if decision.start == 0 and self.offset > 0:
            self.restart()
        elif self.offset > 0:
            self.resumes += 1
        if decision.total is not None:
            if self.expected_size is not None and decision.total != self.expected_size:
                raise DownloadIntegrityError(
                    f"Download of {_safe_url(self.url)}: the server announces {decision.total} bytes "
                    f"but {self.expected_size} were expected; the archive is not the one asked for"
                )
            self.total = decision.total
        self.prepare_deadline = None
        self.waits = 0
        if decision.sha256 is not None:
            self.server_digest = decision.sha256
        self.validator = decision.validator or self.validator
        self.progressed = False

    def advance(self, n: int) -> None:
        """`n` more bytes of the body arrived (and were handed to the writer)."""
        self.offset += n
        if self.offset > self.high_water:
            self.high_water = self.offset
            self.progressed = True
        if self.total is not None and self.offset > self.total:
            raise DownloadIntegrityError(
                f"Download of {_safe_url(self.url)}: received more than the announced {self.total} "
                "bytes; the server's answer is corrupt"
            )

    def finished(self) -> bool:
        """After a body ended without a transport error: done (True) or cut short (False)."""
        return self.total is None or self.offset >= self.total

    def verify(self, path: Path, digest: str) -> DownloadResult:
        if self.expected_size is not None and self.offset != self.expected_size:
            raise DownloadIntegrityError(
                f"Download of {_safe_url(self.url)}: got {self.offset} bytes, expected "
                f"{self.expected_size}; nothing was kept"
            )
        wanted = [d for d in (self.expected_digest, self.server_digest) if d]
        for want in wanted:
            if digest != want.lower():
                raise DownloadIntegrityError(
                    f"Download of {_safe_url(self.url)}: SHA-256 mismatch (got {digest}, expected "
                    f"{want.lower()}); nothing was kept, try again"
                )
        return DownloadResult(path, self.offset, digest, self.resumes, bool(wanted))

    def after_failure(
        self, reason: str, now: float, error: BaseException | None, status: int | None = None
    ) -> float:
        """A try ended without the whole file: count it, and return how long to wait."""
        progressed, self.progressed = self.progressed, False
        self.failures = 1 if progressed else self.failures + 1
        if self.failures >= self.max_attempts:
            where = _safe_url(self.url)
            if status is not None:  # the host kept answering 5xx / 429: report that status
                raise status_error_for(status, f"GET {where} (after {self.failures} attempts)")
            msg = (
                f"Download of {where} failed after {self.failures} attempts without progress "
                f"({reason}); check the connection and try again"
            )
            if isinstance(error, TimeoutError):
                raise APITimeoutError(msg) from error
            raise APIConnectionError(msg) from error
        # Resume at once after progress (the link was working a moment ago); else back off.
        return 0.0 if progressed else backoff_delay(self.failures - 1, rand=random.random)

    def after_wait(self, decision: Wait, now: float) -> float:
        if decision.restart:
            self.restart()
        if decision.preparing:
            self.waits += 1
            if self.prepare_deadline is None:
                self.prepare_deadline = now + self.prepare_timeout
            if now >= self.prepare_deadline:
                raise APITimeoutError(
                    f"Download of {_safe_url(self.url)}: the archive was still being prepared when the "
                    "prepare timeout ran out; try again later or raise prepare_timeout"
                )
            delay = (
                decision.delay
                if decision.delay is not None
                else backoff_delay(self.waits - 1, rand=random.random)
            )
            return max(0.0, min(delay, self.prepare_deadline - now))
        delay = self.after_failure(decision.reason, now, None, decision.status)
        return decision.delay if decision.delay is not None else delay


def _status_error(state: _State, status: int, headers: Mapping[str, str], body: bytes) -> Exception:
    # Object stores echo the request in their error body (S3: the signature it was given).
    text = _redact_url(body[:2000].decode("utf-8", "replace").strip(), state.url)
    return status_error_for(status, f"GET {_safe_url(state.url)}", body=text or None, headers=dict(headers))


# --- I/O shells ------------------------------------------------------------------------------------


# Buffers of chunk_size (1 MiB) in circulation: one being read into, one being written and hashed,
# the rest queued between them; at most ~6 MiB of body is in memory.
_BUFFERS = 6
# Bytes of an error answer kept for the exception message.
_ERROR_BODY_LIMIT = 2000


class _Writer:
    """Writes and hashes the body on a worker thread, so reading the socket, writing the file and
    SHA-256 (the last two release the GIL) overlap on a second core. The file and the hash always
    cover exactly the bytes handed to `write` once `drain` returns.

    The socket is read into a fixed pool of buffers that the writer hands back, not into a fresh
    bytes object per chunk: a 1 MiB allocation per chunk, freed on the other thread, made glibc grow
    and trim the heap over and over (brk/mmap, page faults, zeroed pages), worst on the main thread
    where the synchronous download reads: ~29,000 page faults per GiB there, ~23,000 on the async
    variant's worker thread, ~3,000 (the imports) for both with the pool."""

    def __init__(self, fh: IO[bytes], chunk_size: int) -> None:
        self.fh = fh
        self.hasher = hashlib.sha256()
        self._chunk_size = chunk_size
        self._made = 0
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._q: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._discard = False
        self._thread = threading.Thread(target=self._run, name="tinkex-download-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            try:
                if item is None:
                    return
                buf, n = item
                if not self._discard and self._error is None:
                    with memoryview(buf) as view, view[:n] as data:
                        self.fh.write(data)
                        self.hasher.update(data)
            except BaseException as e:  # e.g. disk full: re-raised on the caller's thread
                self._error = e
            finally:
                if item is not None:
                    self._free.put(item[0])
                self._q.task_done()

    def buffer(self) -> bytearray:
        """A buffer of chunk_size bytes to read into: a returned one, else a new one while fewer than
        _BUFFERS exist, else wait for the writer to finish one (the back-pressure on the reader)."""
        if self._error is not None:
            raise self._error
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        if self._made < _BUFFERS:
            self._made += 1
            return bytearray(self._chunk_size)
        return self._free.get()  # the writer hands every buffer back, failed or not

    def give_back(self, buf: bytearray) -> None:
        """Return a buffer that was not passed to `write` (nothing read into it, or a failed read)."""
        self._free.put(buf)

    def write(self, buf: bytearray, n: int) -> None:
        """Queue the first `n` bytes of `buf` (from `buffer()`) for the file and the hash."""
        if self._error is not None:
            self._free.put(buf)
            raise self._error
        self._q.put((buf, n))

    def drain(self) -> None:
        """Wait until everything handed over is written and hashed; re-raise a write error."""
        self._q.join()
        if self._error is not None:
            raise self._error

    def reset(self, offset: int) -> None:
        """Keep the first `offset` bytes (0 = start over, with a fresh hash) and append after them."""
        self.drain()
        self.fh.seek(offset)
        self.fh.truncate()
        if offset == 0:
            self.hasher = hashlib.sha256()

    def digest(self) -> str:
        self.drain()
        return self.hasher.hexdigest()

    def close(self) -> None:
        """Stop the thread; anything still queued (after a failure) is dropped, not written."""
        self._discard = True
        self._q.put(None)
        self._thread.join(timeout=60)


def _open_destination(destination: str | os.PathLike[str], force: bool) -> tuple[Path, Path, IO[bytes]]:
    dest = Path(destination)
    if dest.exists() and not force:
        raise TinkexValidationError(
            "destination", f"{str(dest)!r} already exists", "pass force=True (CLI: --force) to replace it"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tinkex-part", dir=dest.parent)
    return dest, Path(tmp), os.fdopen(fd, "w+b")


def _finish(fh: IO[bytes], tmp: Path, dest: Path, size: int, *, fsync: bool) -> None:
    fh.flush()
    on_disk = os.fstat(fh.fileno()).st_size
    if on_disk != size:  # the hash covers what we wrote; this proves it is what the file holds
        raise DownloadIntegrityError(f"internal error: wrote {size} bytes but the file holds {on_disk}")
    # fsync before the rename: after a crash the name must point at the whole file, not a hole.
    if fsync:
        os.fsync(fh.fileno())
    fh.close()
    os.replace(tmp, dest)


def _new_state(
    url: str,
    expected_size: int | None,
    sha256: str | None,
    max_attempts: int,
    prepare_timeout: float,
) -> _State:
    if max_attempts < 1:
        raise TinkexValidationError("max_attempts", f"must be >= 1, got {max_attempts}")
    if sha256 is not None and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower())):
        raise TinkexValidationError("sha256", "must be 64 hex digits", "pass hashlib.sha256(...).hexdigest()")
    return _State(url, expected_size, sha256, max_attempts, prepare_timeout)


class _Cancelled(BaseException):
    """Stops the worker thread of `download_archive_async` when its task is cancelled."""


# The storage host sees this and nothing else of ours (no API key, no Tinker header).
_USER_AGENT = f"tinkex/{__version__} (checkpoint download)"


def _opener(ssl_context: ssl.SSLContext | None) -> urllib.request.OpenerDirector:
    # urllib, not httpx, for the bytes: on loopback httpx's 64 KiB reads and per-read parsing cap
    # a stream near 370 MB/s on our 2-core machines, urllib's 1 MiB reads reach about 3 GB/s.
    # The opener follows redirects and honours the *_proxy environment variables.
    handlers: list[urllib.request.BaseHandler] = []
    if ssl_context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
    return urllib.request.build_opener(*handlers)


def _attempt(
    opener: urllib.request.OpenerDirector,
    state: _State,
    writer: _Writer,
    *,
    timeout: float,
    chunk_size: int,
    progress: ProgressCallback | None,
    clock: Callable[[], float],
    cancel: threading.Event | None,
) -> float | None:
    """One request; None when the file is complete, else seconds to wait before the next one."""
    headers = {**state.request_headers(), "User-Agent": _USER_AGENT}
    request = urllib.request.Request(state.url, headers=headers)
    try:
        resp = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as e:  # a status >= 400 (urllib answers those with an exception)
        with e:
            body = e.read(_ERROR_BODY_LIMIT)
            err_headers = dict(e.headers.items())
        decision = classify_response(
            e.code, err_headers, offset=state.offset, known_total=state.total, now=clock()
        )
        if isinstance(decision, Wait):
            return state.after_wait(decision, clock())
        raise _status_error(state, e.code, err_headers, body) from None
    except (OSError, http.client.HTTPException) as e:  # refused, reset, timeout, bad status line
        return state.after_failure(_redact_url(f"{type(e).__name__}: {e}", state.url), clock(), e)
    with resp:
        resp_headers = dict(resp.headers.items())
        decision = classify_response(
            resp.status,
            resp_headers,
            offset=state.offset,
            known_total=state.total,
            now=clock(),
            known_sha256=state.server_digest,
            known_validator=state.validator,
        )
        if isinstance(decision, Fail):
            raise _status_error(state, resp.status, resp_headers, resp.read(_ERROR_BODY_LIMIT))
        if isinstance(decision, Wait):
            return state.after_wait(decision, clock())
        state.begin(decision)
        # The file always mirrors the state: what was kept, then this body.
        writer.reset(state.offset)
        while True:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            # Only the read is a transport failure worth a resume: an OSError from the file (disk
            # full, permissions) is local, so it propagates instead of being retried against the
            # server and reported as a connection error.
            buf = writer.buffer()
            try:
                # A short read at a dropped connection returns what arrived, then 0: no byte
                # received is lost, so the resume starts exactly where the data stopped. (A read
                # that raises keeps nothing of its buffer: the resume asks for those bytes again.)
                n = resp.readinto(buf)
            except (OSError, http.client.HTTPException) as e:
                writer.give_back(buf)
                return state.after_failure(_redact_url(f"{type(e).__name__}: {e}", state.url), clock(), e)
            except BaseException:
                writer.give_back(buf)
                raise
            if not n:
                writer.give_back(buf)
                break
            writer.write(buf, n)
            state.advance(n)
            if progress is not None:
                progress(state.offset, state.total)
    if state.finished():
        return None
    return state.after_failure("the connection closed before the whole file arrived", clock(), None)


def _run_download(
    url: str,
    destination: str | os.PathLike[str],
    *,
    expected_size: int | None,
    sha256: str | None,
    progress: ProgressCallback | None,
    timeout: float,
    max_attempts: int,
    prepare_timeout: float,
    force: bool,
    chunk_size: int,
    refresh_url: Callable[[], str] | None,
    ssl_context: ssl.SSLContext | None,
    sleep: Callable[[float], Any],
    clock: Callable[[], float],
    cancel: threading.Event | None = None,
    fsync: bool = True,
) -> DownloadResult:
    """The whole download on the calling thread (the async variant runs it on a worker)."""
    if chunk_size < 1:
        raise TinkexValidationError("chunk_size", f"must be >= 1, got {chunk_size}")
    state = _new_state(_check_url(url), expected_size, sha256, max_attempts, prepare_timeout)
    opener = _opener(ssl_context)
    created = missing_dirs(Path(destination))
    try:
        dest, tmp, fh = _open_destination(destination, force)
    except BaseException:
        remove_empty_dirs(created)
        raise
    writer: _Writer | None = None
    done = False
    try:  # from here on, every exit removes the temporary file
        writer = _Writer(fh, chunk_size)
        while True:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            try:
                delay = _attempt(
                    opener,
                    state,
                    writer,
                    timeout=timeout,
                    chunk_size=chunk_size,
                    progress=progress,
                    clock=clock,
                    cancel=cancel,
                )
            except APIStatusError as e:
                if refresh_url is None or not state.may_refresh(e.status_code):
                    raise
                state.url = _check_url(refresh_url())
                continue
            if delay is None:
                break
            if delay > 0:
                sleep(delay)
        result = state.verify(dest, writer.digest())
        # A cancellation that arrived during the last chunk wins over committing the file.
        if cancel is not None and cancel.is_set():
            raise _Cancelled
        _finish(fh, tmp, dest, result.size, fsync=fsync)
        done = True
        return result
    finally:
        if writer is not None:
            writer.close()
        if not fh.closed:
            fh.close()
        tmp.unlink(missing_ok=True)
        if not done:  # nor the directories made for it
            remove_empty_dirs(created)


def download_archive(
    url: str,
    destination: str | os.PathLike[str],
    *,
    expected_size: int | None = None,
    sha256: str | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    prepare_timeout: float = DEFAULT_PREPARE_TIMEOUT,
    force: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    refresh_url: Callable[[], str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    _sleep: Callable[[float], Any] = time.sleep,
    _clock: Callable[[], float] = time.time,
    _fsync: bool = True,
) -> DownloadResult:
    """Download `url` (a signed storage URL) to the file `destination`, safely.

    Streams in constant memory; resumes a dropped connection with `Range` (verifying the 206);
    waits while the server answers 202/503 "still preparing" (up to `prepare_timeout` s); checks
    the size against Content-Length / Content-Range and `expected_size`, and the SHA-256 against
    `sha256` and any digest header the server sends; writes a temporary file beside `destination`
    and renames it into place. On any failure, Ctrl-C included, nothing partial is left.
    `progress(bytes_done, total_or_None)` is called after each chunk (`chunk_size`, 1 MiB). No
    Tinker header or API key is sent to the storage host. `refresh_url()` (optional) is asked for a
    new signed URL when the host says the current one expired (401 / 403 / 410); the download then
    resumes where it was (at most twice in a row without new bytes). `timeout` bounds connecting
    and each read, not the whole call.

    Example::

        url = rest_client.get_checkpoint_archive_url_from_tinker_path(path).result().url
        result = tinkex.download_archive(url, "ckpt.tar", progress=lambda done, total: None)
        print(result.size, result.sha256)
    """
    return _run_download(
        url,
        destination,
        expected_size=expected_size,
        sha256=sha256,
        progress=progress,
        timeout=timeout,
        max_attempts=max_attempts,
        prepare_timeout=prepare_timeout,
        force=force,
        chunk_size=chunk_size,
        refresh_url=refresh_url,
        ssl_context=ssl_context,
        sleep=_sleep,
        clock=_clock,
        fsync=_fsync,
    )


async def download_archive_async(
    url: str,
    destination: str | os.PathLike[str],
    *,
    expected_size: int | None = None,
    sha256: str | None = None,
    progress: ProgressCallback | None = None,
    # A per-read timeout, not a deadline for the call: the name matches the sync twin.
    timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,  # noqa: ASYNC109
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    prepare_timeout: float = DEFAULT_PREPARE_TIMEOUT,
    force: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    refresh_url: Callable[[], Coroutine[Any, Any, str]] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    _sleep: Callable[[float], Any] | None = None,
    _clock: Callable[[], float] = time.time,
    _fsync: bool = True,
) -> DownloadResult:
    """Async twin of `download_archive`: the transfer runs on a worker thread (file writes and
    hashing block anyway) while the event loop stays free; `progress` and `refresh_url` run on the
    loop. Cancelling the task stops the transfer and leaves nothing partial behind.

    Example::

        url = (await rest_client.get_checkpoint_archive_url_from_tinker_path_async(path)).url
        result = await tinkex.download_archive_async(url, "ckpt.tar")
    """
    loop = asyncio.get_running_loop()
    cancel = threading.Event()

    def on_progress(done: int, total: int | None) -> None:
        assert progress is not None
        loop.call_soon_threadsafe(progress, done, total)

    def sync_refresh() -> str:
        assert refresh_url is not None
        return asyncio.run_coroutine_threadsafe(refresh_url(), loop).result()

    def wait(seconds: float) -> None:
        cancel.wait(seconds)  # wakes at once when the task is cancelled

    job = functools.partial(
        _run_download,
        url,
        destination,
        expected_size=expected_size,
        sha256=sha256,
        progress=on_progress if progress is not None else None,
        timeout=timeout,
        max_attempts=max_attempts,
        prepare_timeout=prepare_timeout,
        force=force,
        chunk_size=chunk_size,
        refresh_url=sync_refresh if refresh_url is not None else None,
        ssl_context=ssl_context,
        sleep=_sleep or wait,
        clock=_clock,
        cancel=cancel,
        fsync=_fsync,
    )
    future = loop.run_in_executor(None, job)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.set()
        # Let the worker remove its temporary file before the cancellation propagates; it checks
        # `cancel` after every chunk, so this is quick (at worst one read timeout).
        finished: DownloadResult | None = None
        with contextlib.suppress(BaseException):
            finished = await future
        if finished is not None:
            # The worker renamed the file into place just before it saw the cancellation: the
            # caller asked for nothing to be left behind, so take the finished file back out.
            finished.path.unlink(missing_ok=True)
        raise


# --- checkpoints: RestClient lookup + download + extraction ---------------------------------------


class _RestLike(Protocol):
    def get_checkpoint_archive_url_from_tinker_path(self, tinker_path: str) -> Any: ...

    async def get_checkpoint_archive_url_from_tinker_path_async(self, tinker_path: str) -> Any: ...


def _targets(
    tinker_path: str, output_dir: str | os.PathLike[str], extract: bool, force: bool
) -> tuple[Path, Path]:
    name = checkpoint_dir_name(tinker_path)
    out = Path(output_dir)
    target = out / name if extract else out / f"{name}.tar"
    if (target.exists() or target.is_symlink()) and not force:
        raise TinkexValidationError(
            "output_dir", f"{str(target)!r} already exists", "pass force=True (CLI: --force) to replace it"
        )
    # The archive lands beside the target under a hidden name and is removed after extraction.
    archive = out / f".{name}.tar.tinkex-download" if extract else target
    return target, archive


def download_checkpoint(
    rest_client: _RestLike,
    tinker_path: str,
    output_dir: str | os.PathLike[str] = ".",
    *,
    extract: bool = True,
    force: bool = False,
    progress: ProgressCallback | None = None,
    max_extract_size: int | None = DEFAULT_MAX_EXTRACT_SIZE,
    **download_options: Any,
) -> CheckpointDownload:
    """Download a checkpoint's archive and (by default) extract it safely into
    `<output_dir>/<run>_<kind>_<name>/` (the official CLI's layout); with `extract=False` the
    archive is kept as `<output_dir>/<run>_<kind>_<name>.tar`.

    The signed URL comes from `rest_client.get_checkpoint_archive_url_from_tinker_path`; the bytes
    come straight from the storage host with resume, checksum and atomic rename (see
    `download_archive`, whose keyword options pass through). An existing target is replaced only
    with `force=True`. Extraction refuses archives that would unpack to more than `max_extract_size`
    bytes (default 64 GiB; None = no limit) or that are decompression bombs (see `extract_archive`).

    Example::

        rest_client = tinkex.ServiceClient().create_rest_client()
        d = tinkex.download_checkpoint(rest_client, "tinker://run-1/sampler_weights/final", "ckpts")
        print(d.path)  # ckpts/run-1_sampler_weights_final
    """
    target, archive = _targets(tinker_path, output_dir, extract, force)

    def fresh_url() -> str:
        response = rest_client.get_checkpoint_archive_url_from_tinker_path(tinker_path)
        if hasattr(response, "result"):
            response = response.result()
        return str(response.url)

    created = missing_dirs(archive)
    done = False
    try:
        url = fresh_url()
        # An archive extracted and deleted at once is not worth an fsync (it can cost seconds per
        # GiB): the rename still keeps a half-written archive from ever being extracted.
        result = download_archive(
            url,
            archive,
            progress=progress,
            force=True,
            refresh_url=fresh_url,
            _fsync=not extract,
            **download_options,
        )
        if extract:
            extract_archive(archive, target, force=force, max_size=max_extract_size)
        done = True
    finally:
        if extract:
            archive.unlink(missing_ok=True)
        if not done:
            remove_empty_dirs(created)
    return CheckpointDownload(tinker_path, target, result.size, result.sha256, extract)


async def _extract_in_thread(archive: Path, target: Path, force: bool, max_size: int | None) -> None:
    """`extract_archive` on a worker thread. Cancelling the task stops it after the current member
    and waits for its cleanup: `asyncio.to_thread` would return at once while the thread went on
    and renamed a directory into place after the caller had been told the call was cancelled."""
    cancel = threading.Event()

    def stop_if_cancelled(done: int, total: int) -> None:
        if cancel.is_set():
            raise _Cancelled

    job = functools.partial(
        extract_archive, archive, target, force=force, progress=stop_if_cancelled, max_size=max_size
    )
    future = asyncio.get_running_loop().run_in_executor(None, job)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.set()
        with contextlib.suppress(BaseException):  # _Cancelled, or the member it was writing failed
            await future
        raise


async def download_checkpoint_async(
    rest_client: _RestLike,
    tinker_path: str,
    output_dir: str | os.PathLike[str] = ".",
    *,
    extract: bool = True,
    force: bool = False,
    progress: ProgressCallback | None = None,
    max_extract_size: int | None = DEFAULT_MAX_EXTRACT_SIZE,
    **download_options: Any,
) -> CheckpointDownload:
    """Async twin of `download_checkpoint` (extraction runs in a worker thread).

    Example::

        d = await tinkex.download_checkpoint_async(rest_client, "tinker://run-1/weights/0001", "ckpts")
    """
    target, archive = _targets(tinker_path, output_dir, extract, force)

    async def fresh_url() -> str:
        response = await rest_client.get_checkpoint_archive_url_from_tinker_path_async(tinker_path)
        return str(response.url)

    created = missing_dirs(archive)
    done = False
    try:
        url = await fresh_url()
        # An archive extracted and deleted at once is not worth an fsync (it can cost seconds per
        # GiB): the rename still keeps a half-written archive from ever being extracted.
        result = await download_archive_async(
            url,
            archive,
            progress=progress,
            force=True,
            refresh_url=fresh_url,
            _fsync=not extract,
            **download_options,
        )
        if extract:
            await _extract_in_thread(archive, target, force, max_extract_size)
        done = True
    finally:
        if extract:
            archive.unlink(missing_ok=True)
        if not done:
            remove_empty_dirs(created)
    return CheckpointDownload(tinker_path, target, result.size, result.sha256, extract)
