"""Safe tar extraction: the pure member check (table) and real malicious archives (each traversal
kind rejected, nothing written outside the target, no staging directory left behind)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tinkex._archive import UnsafeArchiveError, _MemberInfo, check_members, extract_archive, member_problem
from tinkex._exceptions import TinkexError, TinkexValidationError

NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("member", "symlinks", "files", "problem"),
    [
        (_MemberInfo("adapter_model.safetensors", "file"), NONE, NONE, None),
        (_MemberInfo("./sub/dir/x.json", "file"), NONE, NONE, None),
        (_MemberInfo("sub", "dir"), NONE, NONE, None),
        (_MemberInfo(".", "dir"), NONE, NONE, None),
        (_MemberInfo("a/../b", "file"), NONE, NONE, None),
        (_MemberInfo("/etc/passwd", "file"), NONE, NONE, "is an absolute path"),
        (_MemberInfo("C:/windows/x", "file"), NONE, NONE, "is an absolute path"),
        (_MemberInfo("\\\\server\\share", "file"), NONE, NONE, "is an absolute path"),
        (_MemberInfo("../x", "file"), NONE, NONE, "escapes the target directory"),
        (_MemberInfo("a/../../x", "file"), NONE, NONE, "escapes the target directory"),
        (_MemberInfo("..", "dir"), NONE, NONE, "escapes the target directory"),
        (_MemberInfo("dev", "device"), NONE, NONE, "is a device file"),
        (_MemberInfo("pipe", "fifo"), NONE, NONE, "is a special file (fifo)"),
        (_MemberInfo(".", "file"), NONE, NONE, "replaces the target directory itself"),
        # symlinks
        (_MemberInfo("l", "symlink", "x.json"), frozenset({"l"}), NONE, None),
        (_MemberInfo("d/l", "symlink", "../x.json"), frozenset({"d/l"}), NONE, None),
        (
            _MemberInfo("l", "symlink", "/etc/passwd"),
            frozenset({"l"}),
            NONE,
            "is a symbolic link to an absolute path ('/etc/passwd')",
        ),
        (
            _MemberInfo("l", "symlink", "../outside"),
            frozenset({"l"}),
            NONE,
            "is a symbolic link that escapes the target directory ('../outside')",
        ),
        (
            _MemberInfo("d/l", "symlink", "../../x"),
            frozenset({"d/l"}),
            NONE,
            "is a symbolic link that escapes the target directory ('../../x')",
        ),
        (
            _MemberInfo("l", "symlink", ""),
            frozenset({"l"}),
            NONE,
            "is a symbolic link to an absolute path ('')",
        ),
        # chained escape: a -> . is fine alone, b -> a/.. passes through a
        (
            _MemberInfo("b", "symlink", "a/.."),
            frozenset({"a", "b"}),
            NONE,
            "is a symbolic link through another link ('a/..')",
        ),
        (_MemberInfo("l/x", "file"), frozenset({"l"}), NONE, "is written through a symbolic link"),
        (_MemberInfo("l/../x", "file"), frozenset({"l"}), NONE, "is written through a symbolic link"),
        # hard links
        (_MemberInfo("h", "hardlink", "x.json"), NONE, frozenset({"x.json"}), None),
        (
            _MemberInfo("h", "hardlink", "/etc/passwd"),
            NONE,
            NONE,
            "is a hard link to an absolute path ('/etc/passwd')",
        ),
        (
            _MemberInfo("h", "hardlink", "../x"),
            NONE,
            NONE,
            "is a hard link that escapes the target directory ('../x')",
        ),
        (
            _MemberInfo("h", "hardlink", "l/x"),
            frozenset({"l"}),
            NONE,
            "is a hard link through a symbolic link ('l/x')",
        ),
        (
            _MemberInfo("h", "hardlink", "l"),
            frozenset({"l"}),
            NONE,
            "is a hard link through a symbolic link ('l')",
        ),
        (
            _MemberInfo("h", "hardlink", "ghost"),
            NONE,
            NONE,
            "is a hard link to a file that is not earlier in the archive ('ghost')",
        ),
    ],
)
def test_member_problem_table(
    member: _MemberInfo, symlinks: frozenset[str], files: frozenset[str], problem: str | None
) -> None:
    assert member_problem(member, symlinks, files) == problem


def test_hard_link_must_name_an_earlier_file() -> None:
    check_members([_MemberInfo("f", "file"), _MemberInfo("h", "hardlink", "f")])
    with pytest.raises(UnsafeArchiveError) as info:
        check_members([_MemberInfo("h", "hardlink", "f"), _MemberInfo("f", "file")])
    assert info.value.member == "h"


def test_check_members_collects_links_across_the_whole_archive() -> None:
    # the file comes before the symlink that it would be written through: still rejected
    with pytest.raises(UnsafeArchiveError) as info:
        check_members([_MemberInfo("l/x", "file"), _MemberInfo("l", "symlink", ".")])
    assert info.value.member == "l/x"


# --- real archives ----------------------------------------------------------------------------


def make_tar(path: Path, members: list[tuple[str, str, str | bytes]], mode: str = "w") -> Path:
    """members: (kind, name, data-or-linkname); kinds file, dir, symlink, hardlink, chr, fifo."""
    with tarfile.open(path, mode) as tar:
        for kind, name, payload in members:
            info = tarfile.TarInfo(name)
            data = b""
            if kind == "file":
                data = payload if isinstance(payload, bytes) else payload.encode()
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, str(payload)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, str(payload)
            elif kind == "chr":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


GOOD = [
    ("file", "adapter_config.json", '{"r": 8}'),
    ("dir", "sub", ""),
    ("file", "sub/adapter_model.safetensors", b"\x00" * 5000),
    ("file", "checkpoint_complete", b""),
    ("symlink", "latest", "sub/adapter_model.safetensors"),
    ("hardlink", "copy.json", "adapter_config.json"),
]


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_extracts_good_archive_any_compression(tmp_path: Path, mode: str) -> None:
    archive = make_tar(tmp_path / "ckpt.tar", GOOD, mode)
    done: list[tuple[int, int]] = []
    out = extract_archive(archive, tmp_path / "out" / "ckpt", progress=lambda d, t: done.append((d, t)))
    assert (out / "adapter_config.json").read_text() == '{"r": 8}'
    assert (out / "sub" / "adapter_model.safetensors").stat().st_size == 5000
    assert (out / "latest").resolve() == (out / "sub" / "adapter_model.safetensors").resolve()
    assert (out / "copy.json").read_text() == '{"r": 8}'
    assert done[-1] == (len(GOOD), len(GOOD))
    assert snapshot(tmp_path / "out") == {
        "ckpt",
        *(
            f"ckpt/{n}"
            for n in (
                "adapter_config.json",
                "sub",
                "sub/adapter_model.safetensors",
                "checkpoint_complete",
                "latest",
                "copy.json",
            )
        ),
    }


MALICIOUS = {
    "absolute": [("file", "/tmp/tinkex-evil-abs", "x")],
    "dotdot": [("file", "ok.txt", "x"), ("file", "../evil.txt", "x")],
    "nested_dotdot": [("file", "a/b/../../../evil.txt", "x")],
    "symlink_absolute": [("symlink", "etc", "/etc")],
    "symlink_escape": [("symlink", "up", "../..")],
    "write_through_symlink": [("symlink", "l", "."), ("file", "l/../evil.txt", "x")],
    "symlink_then_file": [("symlink", "d", "../"), ("file", "d/evil.txt", "x")],
    "symlink_chain": [("symlink", "a", "."), ("symlink", "b", "a/.."), ("file", "b/evil.txt", "x")],
    "hardlink_absolute": [("hardlink", "h", "/etc/passwd")],
    "hardlink_escape": [("hardlink", "h", "../outside.txt")],
    # tar resolves a hard link against members already read: one naming a later file made the
    # stdlib raise a bare KeyError mid-extraction
    "hardlink_forward": [("hardlink", "h", "f"), ("file", "f", "data")],
    "device": [("chr", "null", "")],
    "fifo": [("fifo", "pipe", "")],
}


@pytest.mark.parametrize("kind", sorted(MALICIOUS))
def test_malicious_archives_are_rejected_and_leave_nothing(tmp_path: Path, kind: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "outside.txt").write_text("keep me")
    archive = make_tar(tmp_path / "evil.tar", MALICIOUS[kind])
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeArchiveError) as info:
        extract_archive(archive, work / "target")
    assert isinstance(info.value, TinkexError)
    assert "nothing was extracted" in str(info.value)
    assert snapshot(tmp_path) == before  # no target, no staging dir, nothing outside
    assert (tmp_path / "outside.txt").read_text() == "keep me"
    assert not Path("/tmp/tinkex-evil-abs").exists()


def test_existing_target_needs_force_and_is_replaced_whole(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tar", [("file", "new.txt", "new")])
    target = tmp_path / "target"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(TinkexValidationError, match="already exists"):
        extract_archive(archive, target)
    assert snapshot(target) == {"old.txt"}
    extract_archive(archive, target, force=True)
    assert snapshot(target) == {"new.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar", "target"]


def test_interrupt_mid_extraction_leaves_nothing_and_keeps_old_target(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tar", [("file", f"f{i}", "x") for i in range(5)])
    target = tmp_path / "target"
    target.mkdir()
    (target / "old.txt").write_text("old")

    def interrupt(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract_archive(archive, target, force=True, progress=interrupt)
    assert snapshot(target) == {"old.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar", "target"]


def test_not_a_tar_is_a_clear_tinkex_error(tmp_path: Path) -> None:
    bogus = tmp_path / "x.tar"
    bogus.write_bytes(b"this is not a tar archive" * 100)
    with pytest.raises(TinkexError, match="as a tar archive"):
        extract_archive(bogus, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.tar"]


def test_truncated_archive_leaves_nothing(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tar.gz", [("file", "big", b"z" * 200_000), ("file", "b", "y")], "w:gz")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(TinkexError):
        extract_archive(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]


@pytest.mark.parametrize(
    "members",
    [
        [("dir", "a", ""), ("file", "a", "x")],  # a member that is both a directory and a file
        [("file", "a", "x"), ("file", "a/b", "y")],  # a file used as a directory
        [("file", "x" * 300, "x")],  # a name longer than the file system allows
    ],
    ids=["dir_then_file", "file_as_dir", "long_name"],
)
def test_extraction_failure_leaves_no_directories_it_created(
    tmp_path: Path, members: list[tuple[str, str, str | bytes]]
) -> None:
    archive = make_tar(tmp_path / "a.tar", members)
    with pytest.raises(TinkexError, match="Failed to extract"):
        extract_archive(archive, tmp_path / "new" / "deeper" / "target")
    assert snapshot(tmp_path) == {"a.tar"}


def test_interrupt_while_removing_the_replaced_target_leaves_no_trash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import tinkex._archive as archive_module

    archive = make_tar(tmp_path / "a.tar", [("file", "new.txt", "new")])
    target = tmp_path / "target"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real_rmtree = shutil.rmtree
    interrupted: list[str] = []

    def rmtree(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith(".tinkex-old") and not interrupted:
            interrupted.append(str(path))
            raise KeyboardInterrupt  # Ctrl-C just after the new target went into place
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(archive_module.shutil, "rmtree", rmtree)
    with pytest.raises(KeyboardInterrupt):
        extract_archive(archive, target, force=True)
    assert interrupted
    assert snapshot(target) == {"new.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar", "target"]


def test_interrupt_while_moving_the_old_target_aside_keeps_it_and_leaves_no_trash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import tinkex._archive as archive_module

    archive = make_tar(tmp_path / "a.tar", [("file", "new.txt", "new")])
    target = tmp_path / "target"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real_rename = os.rename

    def rename(src: Any, dst: Any) -> None:
        if str(dst).endswith("old"):
            raise KeyboardInterrupt  # Ctrl-C as the old target is about to move aside
        real_rename(src, dst)

    monkeypatch.setattr(archive_module.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        extract_archive(archive, target, force=True)
    assert snapshot(target) == {"old.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar", "target"]


def test_duplicate_members_last_wins_and_each_copy_is_checked(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "dup.tar", [("file", "a", "first"), ("file", "a", "second")])
    assert (extract_archive(archive, tmp_path / "ok") / "a").read_text() == "second"
    # a benign first copy does not vouch for a malicious second one
    evil = make_tar(tmp_path / "evil.tar", [("file", "a", "x"), ("symlink", "a", "../../etc")])
    with pytest.raises(UnsafeArchiveError, match="escapes"):
        extract_archive(evil, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


# -- size limits (issue 12 item 12: a 200 MB decompression bomb extracted in full) ----------------------


class _Zeros(io.RawIOBase):
    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def _tar(path: Path, members: dict[str, int], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tar:
        for name, size in members.items():
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros(size)))
    return path


SIZE_CASES: list[tuple[str, list[tuple[str, int]], int, int | None, float | None, str | None]] = [
    ("within limits", [("a", 10), ("b", 10)], 20, 20, 100.0, None),
    ("one member too big", [("a", 5), ("big", 30)], 35, 20, None, "big"),
    ("all together too big", [("a", 15), ("b", 15)], 30, 20, None, "(all members)"),
    ("limits off", [("a", 2**50)], 1, None, None, None),
    ("bomb", [("z", 200 * 2**20)], 200 * 2**10, None, 100.0, "(all members)"),
    ("small files compress a lot, harmless", [("t", 2**20)], 100, None, 100.0, None),
    ("weights compress poorly", [("w", 2**30)], 2**30 - 2**20, None, 100.0, None),
]


@pytest.mark.parametrize(
    ("case", "sizes", "archive_bytes", "max_size", "max_ratio", "culprit"),
    SIZE_CASES,
    ids=[c[0] for c in SIZE_CASES],
)
def test_size_problem(
    case: str,
    sizes: list[tuple[str, int]],
    archive_bytes: int,
    max_size: int | None,
    max_ratio: float | None,
    culprit: str | None,
) -> None:
    from tinkex._archive import size_problem

    total = 0
    got = None
    for name, size in sizes:  # as extract_archive calls it: header by header, with the running total
        total += size
        got = size_problem(name, size, total, archive_bytes, max_size=max_size, max_ratio=max_ratio)
        if got is not None:
            break
    assert (got[0] if got else None) == culprit


def test_a_decompression_bomb_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    bomb = _tar(tmp_path / "bomb.tar.gz", {"zeros.bin": 96 * 2**20, "more.bin": 96 * 2**20}, "w:gz")
    assert bomb.stat().st_size < 2**20
    with pytest.raises(UnsafeArchiveError, match=r"ratio \d+, over the limit of 100.*max_ratio=None") as info:
        extract_archive(bomb, tmp_path / "out")
    assert info.value.member == "(all members)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.tar.gz"]  # nothing written


def test_the_size_limit_is_checked_first_and_can_be_raised(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "a.tar", {"x.bin": 3000, "y.bin": 3000})
    with pytest.raises(
        UnsafeArchiveError, match=r"would unpack to 5\.9 KiB, over the limit of 4\.9 KiB.*max_size="
    ) as info:
        extract_archive(archive, tmp_path / "out", max_size=5000)
    assert info.value.member == "(all members)"
    with pytest.raises(UnsafeArchiveError, match=r"member 'x.bin' would unpack to 2\.9 KiB"):
        extract_archive(archive, tmp_path / "out", max_size=2000)
    assert not (tmp_path / "out").exists()
    out = extract_archive(archive, tmp_path / "out", max_size=6000)
    assert (out / "y.bin").stat().st_size == 3000
    extract_archive(archive, tmp_path / "out2", max_size=None)
