"""Checkpoint archives: signed expiring download URLs (HMAC of path + expiry with a per-server secret),
HTTP Range parsing, and building the cached tar.gz of a checkpoint directory with its SHA-256.

`sign_url`, `verify_signature` and `parse_range` are pure; `build_archive` is the one blocking I/O
function (run off the event loop).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tarfile
from pathlib import Path

import attrs

__all__ = [
    "DEFAULT_ARCHIVE_URL_TTL_S",
    "BuiltArchive",
    "build_archive",
    "parse_range",
    "sign_url",
    "verify_signature",
]

# The 0.7.0 client assumes 15 minutes when Expires is absent; we promise the same window.
DEFAULT_ARCHIVE_URL_TTL_S = 900.0


def _mac(secret: bytes, path: str, expires: int) -> str:
    return hmac.new(secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def sign_url(secret: bytes, path: str, expires: int) -> str:
    """The query string that makes `path` downloadable until Unix time `expires`.

    Example::

        sign_url(b"k", "/storage/archive/r/weights/c", 1700000000)  # -> "expires=1700000000&sig=..."
    """
    return f"expires={expires}&sig={_mac(secret, path, expires)}"


def verify_signature(
    secret: bytes, path: str, expires: str | None, sig: str | None, now: float
) -> str | None:
    """None if the signature is valid and unexpired, else the reason (for a 403 body).

    Example::

        verify_signature(b"k", "/p", "10", "bad", now=0.0)  # -> "bad signature"
    """
    if not expires or not sig:
        return "missing signature"
    try:
        exp = int(expires)
    except ValueError:
        return "bad expiry"
    if not hmac.compare_digest(_mac(secret, path, exp), sig):
        return "bad signature"
    if now > exp:
        return "signed URL expired"
    return None


@attrs.frozen
class ByteRange:
    start: int
    end: int  # inclusive


def parse_range(header: str | None, size: int) -> ByteRange | str | None:
    """A single `bytes=` range resolved against `size`: a ByteRange, None (serve the whole file:
    no header, a multi-range or a unit we do not know), or "unsatisfiable" (answer 416).

    Example::

        parse_range("bytes=10-", 100)  # -> ByteRange(start=10, end=99)
        parse_range("bytes=-10", 100)  # -> ByteRange(start=90, end=99)
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return "unsatisfiable"
            return ByteRange(max(0, size - suffix), size - 1) if size else "unsatisfiable"
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start < 0 or start >= size or end < start:
        return "unsatisfiable"
    return ByteRange(start, min(end, size - 1))


@attrs.frozen
class BuiltArchive:
    path: Path
    size: int
    sha256: str


def build_archive(source: Path, target: Path) -> BuiltArchive:
    """tar.gz `source`'s files (members at the archive root, sorted, no links) into `target`
    atomically, writing the hex SHA-256 next to it; reuse both when they already exist.

    Example::

        build_archive(Path("ckpt"), Path("cache/abc.tar.gz")).sha256
    """
    digest_file = target.with_name(target.name + ".sha256")
    if target.is_file() and digest_file.is_file():
        return BuiltArchive(target, target.stat().st_size, digest_file.read_text().strip())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for f in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
            tar.add(f, arcname=f.relative_to(source).as_posix(), recursive=False)
    h = hashlib.sha256()
    with tmp.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest_file.write_text(h.hexdigest() + "\n")
    tmp.replace(target)
    return BuiltArchive(target, target.stat().st_size, h.hexdigest())
