"""Safe extraction of checkpoint tar archives: every member is checked before anything is written,
extraction happens in a temporary directory next to the target, and the result is renamed into
place, so a rejected or interrupted archive leaves nothing behind.
"""

from __future__ import annotations

import lzma
import os
import posixpath
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path, PureWindowsPath

import attrs

from tinkex._exceptions import TinkexError, TinkexValidationError

__all__ = [
    "DEFAULT_MAX_EXTRACT_RATIO",
    "DEFAULT_MAX_EXTRACT_SIZE",
    "UnsafeArchiveError",
    "check_members",
    "extract_archive",
    "member_problem",
    "size_problem",
]

# A LoRA checkpoint with Adam state of a very large base model stays well below this; a bomb does not.
DEFAULT_MAX_EXTRACT_SIZE = 64 * 1024**3
# Weights are noise to a compressor (ratio ~1.1); ratios past this are zeros made to fill a disk.
DEFAULT_MAX_EXTRACT_RATIO = 100.0
# Below this unpacked size a high ratio is harmless (small text files compress a lot).
_RATIO_FLOOR = 64 * 1024**2

ProgressCallback = Callable[[int, int], None]

# What a corrupt or truncated (compressed) tar raises from the stdlib; bz2 errors are OSErrors.
_READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError)


class UnsafeArchiveError(TinkexError):
    """The archive holds a member that could write outside the target (or a device file); nothing
    was extracted.

    Example::

        try:
            tinkex.extract_archive("ckpt.tar", "out/ckpt")
        except tinkex.UnsafeArchiveError as e:
            print(e.member, e.reason)
    """

    member: str
    reason: str

    def __init__(self, member: str, reason: str) -> None:
        super().__init__(
            f"Refusing to extract archive: member {member!r} {reason}; the archive may be malicious "
            "or corrupt, so nothing was extracted"
        )
        self.member = member
        self.reason = reason


@attrs.frozen
class _MemberInfo:
    """What the safety check needs to know of a tar member (so the check is testable without tar)."""

    name: str
    kind: str  # "file" | "dir" | "symlink" | "hardlink" | "device" | "fifo" | "other"
    linkname: str = ""


def _kind(m: tarfile.TarInfo) -> str:
    if m.issym():
        return "symlink"
    if m.islnk():
        return "hardlink"
    if m.isreg():
        return "file"
    if m.isdir():
        return "dir"
    if m.ischr() or m.isblk():
        return "device"
    if m.isfifo():
        return "fifo"
    return "other"


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def size_problem(
    name: str,
    size: int,
    total: int,
    archive_bytes: int,
    *,
    max_size: int | None,
    max_ratio: float | None,
) -> tuple[str, str] | None:
    """(member, reason) when unpacking member `name` of declared `size` would exceed a limit, with
    `total` the declared size of the regular files up to and including it; else None (pure, O(1), so
    it runs as each header is read and a bomb is refused before its data is even decompressed).

    `archive_bytes` is the archive's size on disk. Refused: one member or all of them together above
    `max_size` bytes, and an archive that unpacks to more than `max_ratio` times its own size (once
    past 64 MiB). None disables a limit.

    Example::

        >>> size_problem("b", 10, 20, 20, max_size=15, max_ratio=None)[0]
        '(all members)'
    """
    fix = (
        "if you trust this archive, raise the limit: extract_archive(max_size=<bytes>), "
        "download_checkpoint(max_extract_size=<bytes>), CLI --max-extract-size"
    )
    if max_size is not None and size > max_size:
        return name, f"would unpack to {_human(size)}, over the limit of {_human(max_size)}; {fix}"
    if max_size is not None and total > max_size:
        reason = f"all members together would unpack to {_human(total)}, over the limit of {_human(max_size)}"
        return "(all members)", f"{reason}; {fix}"
    if max_ratio is not None and total > _RATIO_FLOOR and total > max_ratio * max(archive_bytes, 1):
        ratio = total / max(archive_bytes, 1)
        return "(all members)", (
            f"would unpack {_human(archive_bytes)} into at least {_human(total)} (ratio {ratio:.0f}, over the "
            f"limit of {max_ratio:g}: a decompression bomb?); pass max_ratio=None to allow it if you trust "
            "this archive"
        )
    return None


def _looks_absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or bool(PureWindowsPath(path).drive)


def _walk(path: str, symlinks: AbstractSet[str]) -> tuple[str | None, bool]:
    """Resolve an archive-relative path component by component, as the OS would without following
    links: returns (normalised path or None when it climbs above the root, whether it passes
    *through* one of `symlinks`, i.e. a link followed by a further component, `..` included)."""
    stack: list[str] = []
    comps = [c for c in path.split("/") if c not in ("", ".")]
    through = False
    for i, comp in enumerate(comps):
        if comp == "..":
            if not stack:
                return None, through
            stack.pop()
        else:
            stack.append(comp)
        if i < len(comps) - 1 and "/".join(stack) in symlinks:
            through = True
    return "/".join(stack) or ".", through


def _normalise(path: str) -> str | None:
    """Archive-relative, normalised path, or None when it is absolute or climbs out with `..`."""
    if not path or _looks_absolute(path):
        return None
    return _walk(path, frozenset())[0]


def member_problem(member: _MemberInfo, symlinks: AbstractSet[str], files: AbstractSet[str]) -> str | None:
    """Why `member` is unsafe to extract, or None when it is safe (pure; table-tested).

    `symlinks` are the normalised names of every symlink in the archive and `files` those of the
    regular files before `member`. Rules: no absolute names, no `..` escape, no device files or
    FIFOs; a symlink's target must be relative and resolve inside the target; a hard link must name
    a regular file that comes earlier in the archive (tar links to what it has already read); and no path (member name or link target) may pass *through* a symlink of the
    archive, which closes the chained-symlink escape (`a -> .`, `b -> a/..`) without following links.

    Example::

        >>> member_problem(_MemberInfo("../x", "file"), frozenset(), frozenset())
        'escapes the target directory'
    """
    if not member.name or _looks_absolute(member.name):
        return "is an absolute path"
    name, through = _walk(member.name, symlinks)
    if name is None:
        return "escapes the target directory"
    if member.kind in ("device", "fifo", "other"):
        return "is a device file" if member.kind == "device" else f"is a special file ({member.kind})"
    if through:
        return "is written through a symbolic link"
    if name == "." and member.kind != "dir":
        return "replaces the target directory itself"
    if member.kind == "symlink":
        if not member.linkname or _looks_absolute(member.linkname):
            return f"is a symbolic link to an absolute path ({member.linkname!r})"
        target, through = _walk(posixpath.join(posixpath.dirname(name), member.linkname), symlinks)
        if target is None:
            return f"is a symbolic link that escapes the target directory ({member.linkname!r})"
        if through:
            return f"is a symbolic link through another link ({member.linkname!r})"
    if member.kind == "hardlink":
        if not member.linkname or _looks_absolute(member.linkname):
            return f"is a hard link to an absolute path ({member.linkname!r})"
        target, through = _walk(member.linkname, symlinks)
        if target is None:
            return f"is a hard link that escapes the target directory ({member.linkname!r})"
        if through or target in symlinks:
            return f"is a hard link through a symbolic link ({member.linkname!r})"
        if target not in files:
            return f"is a hard link to a file that is not earlier in the archive ({member.linkname!r})"
    return None


def check_members(members: Iterable[_MemberInfo]) -> None:
    """Raise `UnsafeArchiveError` for the first unsafe member (see `member_problem`).

    Example::

        >>> check_members([_MemberInfo("a.txt", "file")])
    """
    members = list(members)
    symlinks = frozenset(n for m in members if m.kind == "symlink" and (n := _normalise(m.name)))
    files: set[str] = set()  # regular files read so far
    for m in members:
        problem = member_problem(m, symlinks, files)
        if problem is not None:
            raise UnsafeArchiveError(m.name, problem)
        if m.kind == "file" and (n := _normalise(m.name)):
            files.add(n)


def missing_dirs(path: Path) -> list[Path]:
    """The ancestors of `path` that do not exist yet, deepest first (what a failed call must remove)."""
    missing: list[Path] = []
    for parent in path.absolute().parents:
        if parent.exists() or parent.is_symlink():
            break
        missing.append(parent)
    return missing


def remove_empty_dirs(dirs: Iterable[Path]) -> None:
    """Remove directories this call created (deepest first), keeping any that gained content."""
    for d in dirs:
        try:
            d.rmdir()
        except OSError:
            return


def extract_archive(
    archive: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    max_size: int | None = DEFAULT_MAX_EXTRACT_SIZE,
    max_ratio: float | None = DEFAULT_MAX_EXTRACT_RATIO,
) -> Path:
    """Extract a tar / tar.gz / tar.bz2 / tar.xz archive into the directory `target`, safely.

    Every member is checked first (see `UnsafeArchiveError`); the archive is extracted into a
    temporary directory beside `target` and renamed into place, so on any failure (including
    Ctrl-C) no partial target is left. An existing `target` is only replaced with `force=True`.
    `progress(members_done, members_total)` is called after each member.

    Before anything is written, the declared sizes are checked: no member and not all of them together
    may unpack to more than `max_size` bytes (default 64 GiB), and the archive may not unpack to more
    than `max_ratio` times its own size (default 100, applied past 64 MiB: a decompression bomb).
    `None` disables either limit.

    Example::

        path = tinkex.extract_archive("ckpt.tar", "checkpoints/run_weights_0001")
    """
    target = Path(target)
    if target.exists() and not force:
        raise TinkexValidationError(
            "target", f"{str(target)!r} already exists", "pass force=True (CLI: --force) to replace it"
        )
    try:
        # Not a `with` here: opening errors get their own message; the `with tar:` below closes it.
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115
    except _READ_ERRORS as e:
        raise TinkexError(f"Cannot open {os.fspath(archive)!r} as a tar archive: {e}") from e
    with tar:
        if max_size is not None and (not isinstance(max_size, int) or max_size < 0):
            raise TinkexValidationError(
                "max_size", f"must be bytes >= 0 or None, got {max_size!r}", "pass e.g. 2**36"
            )
        archive_bytes = os.path.getsize(archive)
        members: list[tarfile.TarInfo] = []
        total = 0
        try:
            # Header by header (not getmembers()): sizes are checked as each header is read, so a
            # bomb is refused before its data is decompressed, let alone written.
            while (m := tar.next()) is not None:
                members.append(m)
                if m.isreg():
                    total += m.size
                    too_big = size_problem(
                        m.name, m.size, total, archive_bytes, max_size=max_size, max_ratio=max_ratio
                    )
                    if too_big is not None:
                        raise UnsafeArchiveError(*too_big)
        except _READ_ERRORS as e:
            raise TinkexError(
                f"Cannot read {os.fspath(archive)!r}: corrupt or truncated archive ({e})"
            ) from e
        check_members(_MemberInfo(m.name, _kind(m), m.linkname) for m in members)
        created = missing_dirs(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            staging = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tinkex-extract", dir=target.parent)
            )
        except BaseException:
            remove_empty_dirs(created)
            raise
        try:
            for i, m in enumerate(members, 1):
                # The stdlib "data" filter re-checks what we checked (belt and braces) and drops
                # setuid bits and foreign owners, which a checkpoint never needs.
                tar.extract(m, staging, filter="data")
                if progress is not None:
                    progress(i, len(members))
            _swap_into_place(staging, target, force=force)
        except BaseException as e:
            shutil.rmtree(staging, ignore_errors=True)
            remove_empty_dirs(created)  # a failure leaves no empty output directories either
            if isinstance(e, _READ_ERRORS) and not isinstance(e, TinkexError):
                raise TinkexError(f"Failed to extract {os.fspath(archive)!r}: {e}") from e
            raise
    return target


def _swap_into_place(staging: Path, target: Path, *, force: bool) -> None:
    """Rename `staging` to `target`; an existing target (force) is moved aside first and removed
    only after the new one is in place."""
    if not target.exists() and not target.is_symlink():
        os.rename(staging, target)
        return
    if not force:
        raise TinkexValidationError(
            "target", f"{str(target)!r} already exists", "pass force=True (CLI: --force) to replace it"
        )
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tinkex-old", dir=target.parent))
    try:
        old = trash / "old"
        os.rename(target, old)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(old, target)
            raise
    finally:
        # After success this removes the old tree, after a failure the empty trash directory.
        try:
            shutil.rmtree(trash, ignore_errors=True)
        except BaseException:
            # Ctrl-C during the removal: finish it (a second Ctrl-C is the user's call) so no
            # hidden copy of the old checkpoint is left beside the new one.
            shutil.rmtree(trash, ignore_errors=True)
            raise
