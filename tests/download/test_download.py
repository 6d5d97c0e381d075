"""download_archive against a real HTTP server on 127.0.0.1: streaming, Range resume proven byte for
byte, "preparing" waits, size and checksum verification, redirects, and nothing partial left behind."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections import deque
from pathlib import Path
from typing import Any

import pytest

import tinkex
from tinkex._download import DownloadIntegrityError, download_archive, download_archive_async
from tinkex._exceptions import (
    APIConnectionError,
    APITimeoutError,
    NotFoundError,
    PermissionDeniedError,
    TinkexValidationError,
)

from ._server import ArchiveServer, Fault, Resource

MiB = 1024 * 1024


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


class FakeTime:
    """A clock that only moves when the downloader sleeps: no real waiting in tests."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def test_streams_whole_file_with_progress_and_checksum(
    server: ArchiveServer, big_data: bytes, tmp_path: Path
) -> None:
    server.resources["/a.tar"] = Resource(big_data)
    seen: list[tuple[int, int | None]] = []
    result = download_archive(
        server.url("/a.tar"), tmp_path / "a.tar", progress=lambda d, t: seen.append((d, t))
    )
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert result.size == len(big_data)
    assert result.sha256 == hashlib.sha256(big_data).hexdigest()
    assert result.verified
    assert result.resumes == 0
    assert seen[-1] == (len(big_data), len(big_data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # the body arrives in bounded pieces, never as one blob; progress comes about every MiB
    steps = [b - a for (a, _), (b, _) in zip([(0, None), *seen], seen, strict=False)]
    assert max(steps) < 2 * MiB
    assert len(seen) >= len(big_data) // (2 * MiB)
    assert leftovers(tmp_path) == ["a.tar"]


def test_resumes_dropped_connections_byte_for_byte(
    server: ArchiveServer, big_data: bytes, tmp_path: Path
) -> None:
    # three drops at different offsets; each resume must ask for exactly the next byte
    drops = [5 * MiB + 123, 7 * MiB + 1, 3 * MiB + 77]
    server.resources["/a.tar"] = Resource(big_data, script=deque(Fault("drop", n) for n in drops))
    t = FakeTime()
    result = download_archive(server.url("/a.tar"), tmp_path / "a.tar", _sleep=t.sleep, _clock=t.clock)
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert result.resumes == 3
    ranges = [h.get("range") for p, h in server.requests]
    expected_offsets = [drops[0], drops[0] + drops[1], drops[0] + drops[1] + drops[2]]
    assert ranges == [None] + [f"bytes={o}-" for o in expected_offsets]
    # progress was made before every drop, so every resume is immediate
    assert t.sleeps == []
    assert leftovers(tmp_path) == ["a.tar"]


def test_server_ignoring_range_restarts_from_zero(
    server: ArchiveServer, big_data: bytes, tmp_path: Path
) -> None:
    server.resources["/a.tar"] = Resource(
        big_data, script=deque([Fault("drop", 2 * MiB), Fault("ignore_range")])
    )
    result = download_archive(server.url("/a.tar"), tmp_path / "a.tar")
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert result.sha256 == hashlib.sha256(big_data).hexdigest()


def test_mismatched_content_range_restarts(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(3 * MiB)
    server.resources["/a.tar"] = Resource(data, script=deque([Fault("drop", MiB), Fault("shift_range", 10)]))
    t = FakeTime()
    download_archive(server.url("/a.tar"), tmp_path / "a.tar", _sleep=t.sleep, _clock=t.clock)
    assert (tmp_path / "a.tar").read_bytes() == data
    ranges = [h.get("range") for _, h in server.requests]
    assert ranges == [None, f"bytes={MiB}-", None]


def test_waits_while_archive_is_prepared(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(MiB)
    preparing = Fault("status", status=503, headers={"Retry-After": "2"})
    accepted = Fault("status", status=202)
    server.resources["/a.tar"] = Resource(data, script=deque([preparing, preparing, accepted]))
    t = FakeTime()
    download_archive(server.url("/a.tar"), tmp_path / "a.tar", _sleep=t.sleep, _clock=t.clock)
    assert (tmp_path / "a.tar").read_bytes() == data
    assert t.sleeps[:2] == [2.0, 2.0]
    assert len(t.sleeps) == 3
    assert 0 < t.sleeps[2] <= 10


def test_prepare_deadline_raises_timeout(server: ArchiveServer, tmp_path: Path) -> None:
    server.resources["/a.tar"] = Resource(
        b"x", script=deque(Fault("status", status=503, headers={"Retry-After": "30"}) for _ in range(100))
    )
    t = FakeTime()
    with pytest.raises(APITimeoutError, match="still being prepared") as info:
        download_archive(
            server.url("/a.tar"), tmp_path / "a.tar", prepare_timeout=100, _sleep=t.sleep, _clock=t.clock
        )
    assert isinstance(info.value, TimeoutError)
    assert sum(t.sleeps) == pytest.approx(100)
    assert leftovers(tmp_path) == []


def test_wrong_server_checksum_keeps_nothing(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(2 * MiB)
    server.resources["/a.tar"] = Resource(data, checksum=False, headers={"X-Checksum-Sha256": "0" * 64})
    with pytest.raises(DownloadIntegrityError, match="SHA-256 mismatch"):
        download_archive(server.url("/a.tar"), tmp_path / "a.tar")
    assert leftovers(tmp_path) == []


def test_caller_checksum_and_size_are_verified(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(MiB)
    server.resources["/a.tar"] = Resource(data, checksum=False)
    with pytest.raises(DownloadIntegrityError, match="SHA-256 mismatch"):
        download_archive(server.url("/a.tar"), tmp_path / "a.tar", sha256="ab" * 32)
    with pytest.raises(DownloadIntegrityError, match="expected"):
        download_archive(server.url("/a.tar"), tmp_path / "a.tar", expected_size=len(data) + 1)
    assert leftovers(tmp_path) == []
    ok = download_archive(server.url("/a.tar"), tmp_path / "a.tar", sha256=hashlib.sha256(data).hexdigest())
    assert ok.verified


def test_repr_digest_is_understood(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(1000)
    good = base64.b64encode(hashlib.sha256(data).digest()).decode()
    server.resources["/good"] = Resource(data, checksum=False, headers={"Repr-Digest": f"sha-256=:{good}:"})
    assert download_archive(server.url("/good"), tmp_path / "good").verified
    bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    server.resources["/bad"] = Resource(data, checksum=False, headers={"Repr-Digest": f"sha-256=:{bad}:"})
    with pytest.raises(DownloadIntegrityError):
        download_archive(server.url("/bad"), tmp_path / "bad")


def test_redirect_chain_and_no_tinker_headers(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(1000)
    server.resources["/final"] = Resource(data)
    server.redirects["/r1"] = "/r2"
    server.redirects["/r2"] = server.url("/final")
    download_archive(server.url("/r1"), tmp_path / "a.tar")
    assert (tmp_path / "a.tar").read_bytes() == data
    assert [p for p, _ in server.requests] == ["/r1", "/r2", "/final"]
    for _, headers in server.requests:
        assert not {"x-api-key", "authorization", "cf-access-client-secret"} & set(headers)
        assert not any(k.startswith("x-stainless") for k in headers)


def test_status_errors_are_clear_and_hide_the_signature(server: ArchiveServer, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        download_archive(server.url("/missing"), tmp_path / "a.tar")
    assert "SECRETSIGNATURE" not in str(info.value)
    assert "/missing" in str(info.value)
    server.resources["/expired"] = Resource(b"x", script=deque([Fault("status", status=403)]))
    with pytest.raises(PermissionDeniedError):
        download_archive(server.url("/expired"), tmp_path / "a.tar")
    assert leftovers(tmp_path) == []


def test_no_progress_gives_up_after_max_attempts(server: ArchiveServer, tmp_path: Path) -> None:
    server.resources["/a.tar"] = Resource(b"y" * MiB, script=deque(Fault("drop", 0) for _ in range(10)))
    t = FakeTime()
    with pytest.raises(APIConnectionError, match="3 attempts without progress"):
        download_archive(
            server.url("/a.tar"), tmp_path / "a.tar", max_attempts=3, _sleep=t.sleep, _clock=t.clock
        )
    assert server.per_path["/a.tar"] == 3
    assert len(t.sleeps) == 2
    assert leftovers(tmp_path) == []


def test_existing_destination_needs_force(server: ArchiveServer, tmp_path: Path) -> None:
    server.resources["/a.tar"] = Resource(b"new")
    (tmp_path / "a.tar").write_bytes(b"old")
    with pytest.raises(TinkexValidationError, match="already exists"):
        download_archive(server.url("/a.tar"), tmp_path / "a.tar")
    assert (tmp_path / "a.tar").read_bytes() == b"old"
    assert server.requests == []
    download_archive(server.url("/a.tar"), tmp_path / "a.tar", force=True)
    assert (tmp_path / "a.tar").read_bytes() == b"new"


def test_ctrl_c_mid_body_leaves_nothing(server: ArchiveServer, big_data: bytes, tmp_path: Path) -> None:
    server.resources["/a.tar"] = Resource(big_data)

    def interrupt(done: int, total: int | None) -> None:
        if done > 4 * MiB:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_archive(server.url("/a.tar"), tmp_path / "a.tar", progress=interrupt)
    assert leftovers(tmp_path) == []


async def test_async_resumes_byte_for_byte(server: ArchiveServer, big_data: bytes, tmp_path: Path) -> None:
    server.resources["/a.tar"] = Resource(
        big_data, script=deque([Fault("drop", 4 * MiB), Fault("drop", MiB)])
    )
    t = FakeTime()
    result = await download_archive_async(
        server.url("/a.tar"), tmp_path / "a.tar", _sleep=t.sleep, _clock=t.clock
    )
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert result.resumes == 2
    assert result.verified
    assert [h.get("range") for _, h in server.requests] == [None, f"bytes={4 * MiB}-", f"bytes={5 * MiB}-"]


async def test_async_cancellation_leaves_nothing(
    server: ArchiveServer, big_data: bytes, tmp_path: Path
) -> None:
    server.resources["/a.tar"] = Resource(big_data)
    started = asyncio.Event()

    def progress(done: int, total: int | None) -> None:
        started.set()

    task = asyncio.create_task(
        download_archive_async(server.url("/a.tar"), tmp_path / "a.tar", progress=progress)
    )
    await asyncio.wait_for(started.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(tmp_path) == []


# --- download_checkpoint: RestClient lookup + download + safe extraction ----------------------


class FakeRest:
    """Stands in for RestClient: hands out the local server's URL like the 302 lookup would."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.asked: list[str] = []

    def get_checkpoint_archive_url_from_tinker_path(self, tinker_path: str) -> object:
        self.asked.append(tinker_path)
        outer = self

        class Future:
            def result(self, timeout: float | None = None) -> object:
                class Resp:
                    url = outer.url

                return Resp()

        return Future()

    async def get_checkpoint_archive_url_from_tinker_path_async(self, tinker_path: str) -> object:
        return self.get_checkpoint_archive_url_from_tinker_path(tinker_path).result()  # type: ignore[attr-defined]


def tar_bytes(members: dict[str, bytes], *, evil: bool = False) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if evil:
            info = tarfile.TarInfo("../escaped.txt")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"!"))
    return buf.getvalue()


def test_download_checkpoint_extracts_into_named_dir(server: ArchiveServer, tmp_path: Path) -> None:
    from tinkex._download import download_checkpoint

    weights = os.urandom(3 * MiB)
    server.resources["/ckpt"] = Resource(
        tar_bytes({"adapter_model.safetensors": weights, "adapter_config.json": b"{}"}),
        script=deque([Fault("status", status=503, headers={"Retry-After": "0"}), Fault("drop", MiB)]),
    )
    rest = FakeRest(server.url("/ckpt"))
    t = FakeTime()
    got = download_checkpoint(
        rest, "tinker://run-1/sampler_weights/final", tmp_path, _sleep=t.sleep, _clock=t.clock
    )
    assert len(t.sleeps) == 1  # one backoff for the 503 (Retry-After: 0 means "use backoff")
    assert got.path == tmp_path / "run-1_sampler_weights_final"
    assert (got.path / "adapter_model.safetensors").read_bytes() == weights
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-1_sampler_weights_final"]
    # a second download refuses to overwrite, without asking the server
    with pytest.raises(TinkexValidationError, match="already exists"):
        download_checkpoint(rest, "tinker://run-1/sampler_weights/final", tmp_path)
    assert rest.asked == ["tinker://run-1/sampler_weights/final"]


def test_download_checkpoint_rejects_malicious_archive(server: ArchiveServer, tmp_path: Path) -> None:
    from tinkex._archive import UnsafeArchiveError
    from tinkex._download import download_checkpoint

    server.resources["/evil"] = Resource(tar_bytes({"ok": b"x"}, evil=True))
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=r"\.\./escaped\.txt"):
        download_checkpoint(FakeRest(server.url("/evil")), "tinker://r/weights/w", out)
    assert leftovers(tmp_path) == []  # not even the output directory it made
    assert not (tmp_path / "escaped.txt").exists()


def test_download_checkpoint_validates_path_before_any_request(tmp_path: Path) -> None:
    from tinkex._download import download_checkpoint

    rest = FakeRest("http://127.0.0.1:9/never")
    for bad in ["run/weights/x", "tinker://run/other/x", "tinker://run/weights", "tinker://../weights/x"]:
        with pytest.raises(TinkexValidationError, match="tinker_path"):
            download_checkpoint(rest, bad, tmp_path)
    assert rest.asked == []


async def test_download_checkpoint_async_keeps_archive_when_asked(
    server: ArchiveServer, tmp_path: Path
) -> None:
    from tinkex._download import download_checkpoint_async

    data = tar_bytes({"a": b"1"})
    server.resources["/ckpt"] = Resource(data)
    got = await download_checkpoint_async(
        FakeRest(server.url("/ckpt")), "tinker://r/weights/w", tmp_path, extract=False
    )
    assert got.path == tmp_path / "r_weights_w.tar"
    assert got.path.read_bytes() == data
    assert got.size_bytes == len(data)


def test_expired_signed_url_is_refreshed_and_resumed(
    server: ArchiveServer, big_data: bytes, tmp_path: Path
) -> None:
    server.resources["/old"] = Resource(
        big_data, script=deque([Fault("drop", 3 * MiB), Fault("status", status=403)])
    )
    server.resources["/new"] = Resource(big_data)
    asked: list[str] = []

    def refresh() -> str:
        asked.append("x")
        return server.url("/new", query="sig=FRESH")

    result = download_archive(server.url("/old"), tmp_path / "a.tar", refresh_url=refresh)
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert asked == ["x"]
    assert result.resumes == 1
    assert [(p, h.get("range")) for p, h in server.requests] == [
        ("/old", None),
        ("/old", f"bytes={3 * MiB}-"),
        ("/new", f"bytes={3 * MiB}-"),
    ]


def test_url_refresh_is_bounded(server: ArchiveServer, tmp_path: Path) -> None:
    server.resources["/a"] = Resource(b"x", script=deque(Fault("status", status=403) for _ in range(10)))
    calls: list[int] = []

    def refresh() -> str:
        calls.append(1)
        return server.url("/a")

    with pytest.raises(PermissionDeniedError):
        download_archive(server.url("/a"), tmp_path / "a.tar", refresh_url=refresh)
    assert len(calls) == 2
    assert leftovers(tmp_path) == []


async def test_async_url_refresh(server: ArchiveServer, tmp_path: Path) -> None:
    data = os.urandom(MiB)
    server.resources["/old"] = Resource(data, script=deque([Fault("status", status=410)]))
    server.resources["/new"] = Resource(data)

    async def refresh() -> str:
        return server.url("/new")

    await download_archive_async(server.url("/old"), tmp_path / "a.tar", refresh_url=refresh)
    assert (tmp_path / "a.tar").read_bytes() == data


def test_persistent_5xx_reports_the_status(server: ArchiveServer, tmp_path: Path) -> None:
    from tinkex._exceptions import InternalServerError

    server.resources["/a"] = Resource(b"x", script=deque(Fault("status", status=502) for _ in range(10)))
    t = FakeTime()
    with pytest.raises(InternalServerError, match="after 3 attempts") as info:
        download_archive(server.url("/a"), tmp_path / "a.tar", max_attempts=3, _sleep=t.sleep, _clock=t.clock)
    assert info.value.status_code == 502
    assert server.per_path["/a"] == 3
    assert leftovers(tmp_path) == []


def test_server_ignoring_range_and_cutting_at_the_same_point_gives_up(
    server: ArchiveServer, tmp_path: Path
) -> None:
    # A host without Range support behind a proxy that always cuts at 1 MiB: every attempt starts
    # over and writes the same first MiB again. That is no progress; it must not loop forever.
    data = os.urandom(3 * MiB)
    server.resources["/a.tar"] = Resource(
        data, script=deque([Fault("drop", MiB)] + [Fault("ignore_range_drop", MiB) for _ in range(50)])
    )
    t = FakeTime()
    with pytest.raises(APIConnectionError, match="4 attempts without progress"):
        download_archive(
            server.url("/a.tar"), tmp_path / "a.tar", max_attempts=4, _sleep=t.sleep, _clock=t.clock
        )
    assert server.per_path["/a.tar"] == 4  # the cut that ended progress counts as the first
    assert leftovers(tmp_path) == []


def test_file_replaced_between_attempts_restarts_when_if_range_is_ignored(
    server: ArchiveServer, tmp_path: Path
) -> None:
    # No checksum header, so only the ETag can tell that the resumed bytes belong to another file.
    data = os.urandom(3 * MiB)
    server.resources["/a.tar"] = Resource(
        data, headers={"ETag": '"v1"'}, checksum=False, script=deque([Fault("drop", MiB), Fault("new_etag")])
    )
    t = FakeTime()
    result = download_archive(server.url("/a.tar"), tmp_path / "a.tar", _sleep=t.sleep, _clock=t.clock)
    assert (tmp_path / "a.tar").read_bytes() == data
    assert result.resumes == 0
    ranges = [(h.get("range"), h.get("if-range")) for _, h in server.requests]
    assert ranges == [(None, None), (f"bytes={MiB}-", '"v1"'), (None, None)]


def test_failed_download_removes_the_directories_it_made(server: ArchiveServer, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        download_archive(server.url("/missing"), tmp_path / "new" / "deeper" / "a.tar")
    assert leftovers(tmp_path) == []
    # a directory that already existed stays, as does one that gained other content meanwhile
    (tmp_path / "kept").mkdir()
    with pytest.raises(NotFoundError):
        download_archive(server.url("/missing"), tmp_path / "kept" / "a.tar")
    assert leftovers(tmp_path) == ["kept"]
    assert leftovers(tmp_path / "kept") == []


async def test_cancel_during_async_extraction_stops_it_and_leaves_nothing(
    server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    import tinkex._download as download_module
    from tinkex._download import download_checkpoint_async

    real = download_module.extract_archive
    started = threading.Event()

    def gated(archive: Path, target: Path, *, force: bool, progress: object = None, **limits: Any) -> Path:
        def hold(done: int, total: int) -> None:
            if done == 2:
                started.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:  # until the cancelled task tells us to stop
                    progress(done, total)  # type: ignore[operator]
                    time.sleep(0.001)

        return real(archive, target, force=force, progress=hold, **limits)

    monkeypatch.setattr(download_module, "extract_archive", gated)
    server.resources["/ckpt"] = Resource(tar_bytes({f"f{i}": b"x" * 100 for i in range(10)}))
    task = asyncio.create_task(
        download_checkpoint_async(FakeRest(server.url("/ckpt")), "tinker://r/weights/w", tmp_path / "out")
    )
    assert await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the extraction thread stopped before the caller saw the cancellation: no directory appears later
    assert leftovers(tmp_path) == []


def test_prepare_timeout_counts_from_the_first_preparing_answer_not_the_call(
    server: ArchiveServer, tmp_path: Path
) -> None:
    # A long download (here 700 s of fake time) whose resume meets a brief 503 must wait it out;
    # the prepare budget is for waiting on the archive, not a deadline on the whole transfer.
    data = os.urandom(3 * MiB)
    busy = Fault("status", status=503, headers={"Retry-After": "5"})
    server.resources["/a.tar"] = Resource(data, script=deque([Fault("drop", 2 * MiB), busy, busy]))
    t = FakeTime()

    def slow_link(done: int, total: int | None) -> None:
        t.now += 350.0  # ~350 s per MiB

    result = download_archive(
        server.url("/a.tar"),
        tmp_path / "a.tar",
        prepare_timeout=600,
        progress=slow_link,
        _sleep=t.sleep,
        _clock=t.clock,
    )
    assert (tmp_path / "a.tar").read_bytes() == data
    assert result.resumes == 1
    assert t.sleeps == [5.0, 5.0]


def test_storage_error_body_echoing_the_signature_is_redacted(server: ArchiveServer, tmp_path: Path) -> None:
    # Object stores echo the request in their error XML (S3: <SignatureProvided>, the query string)
    body = b"<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>SECRETSIGNATURE</SignatureProvided></Error>"
    server.resources["/a.tar"] = Resource(b"x", script=deque([Fault("status", status=400, body=body)]))
    with pytest.raises(tinkex.BadRequestError) as info:
        download_archive(server.url("/a.tar"), tmp_path / "a.tar")
    assert "SignatureDoesNotMatch" in str(info.value)
    assert "SECRETSIGNATURE" not in str(info.value)
    assert "SECRETSIGNATURE" not in repr(info.value)
    assert "SECRETSIGNATURE" not in str(getattr(info.value, "body", ""))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1:9/a.tar?sig=SECRETSIGNATURE",
        "file:///etc/hostname?sig=SECRETSIGNATURE",  # urllib would copy a local file
        "http://127.0.0.1:9/a\nb.tar?sig=SECRETSIGNATURE",
        "not a url?sig=SECRETSIGNATURE",
    ],
)
def test_unusable_signed_url_is_a_clear_error_without_the_signature(url: str, tmp_path: Path) -> None:
    with pytest.raises(TinkexValidationError, match="not an http") as info:
        download_archive(url, tmp_path / "a.tar", max_attempts=1)
    assert "SECRETSIGNATURE" not in str(info.value)
    assert "SECRETSIGNATURE" not in repr(info.value)
    assert leftovers(tmp_path) == []


def test_disk_full_is_raised_at_once_not_retried_as_a_connection_error(
    server: ArchiveServer, big_data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import tinkex._download as download_module

    real_open = download_module._open_destination

    class FullDisk:
        """The temporary file, until 1 MiB has been written; then ENOSPC."""

        def __init__(self, fh: Any) -> None:
            self._fh = fh
            self.written = 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > MiB:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return int(self._fh.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    def open_full(destination: Any, force: bool) -> Any:
        dest, tmp, fh = real_open(destination, force)
        return dest, tmp, FullDisk(fh)

    monkeypatch.setattr(download_module, "_open_destination", open_full)
    server.resources["/a.tar"] = Resource(big_data)
    t = FakeTime()
    with pytest.raises(OSError, match="No space left") as info:
        download_archive(server.url("/a.tar"), tmp_path / "a.tar", _sleep=t.sleep, _clock=t.clock)
    assert not isinstance(info.value, tinkex.APIConnectionError)
    assert server.per_path["/a.tar"] == 1  # a local failure: no retry against the server
    assert leftovers(tmp_path) == []


def test_failure_before_the_first_request_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinkex._download as download_module

    def broken_opener(ssl_context: Any) -> Any:
        raise KeyboardInterrupt  # e.g. Ctrl-C just after the temporary file was made

    monkeypatch.setattr(download_module, "_opener", broken_opener)
    with pytest.raises(KeyboardInterrupt):
        download_archive("http://127.0.0.1:9/a.tar", tmp_path / "sub" / "a.tar")
    assert leftovers(tmp_path) == []


def test_a_long_download_may_refresh_its_url_each_time_it_expires_after_progress(
    server: ArchiveServer, big_data: bytes, tmp_path: Path
) -> None:
    # Signed URLs live ~15 min; a multi-GB download over a flaky link outlives several of them.
    # Each expiry that follows progress earns a fresh URL; only refusals in a row are bounded.
    script = []
    for n in (2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB):
        script += [Fault("drop", n), Fault("status", status=403)]
    server.resources["/a"] = Resource(big_data, script=deque(script))
    calls: list[int] = []

    def refresh() -> str:
        calls.append(1)
        return server.url("/a", query="sig=FRESH")

    t = FakeTime()
    result = download_archive(
        server.url("/a"), tmp_path / "a.tar", refresh_url=refresh, _sleep=t.sleep, _clock=t.clock
    )
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert len(calls) == 4
    assert result.resumes == 4


def test_memory_stays_flat_the_body_is_read_into_a_few_reused_buffers(
    server: ArchiveServer, big_data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh chunk per read made the allocator grow and trim the heap for every MiB; the pool
    # bounds both memory and allocations, whatever the file's size.
    import tinkex._download as dl

    made: list[int] = []
    real_bytearray = bytearray

    class CountingWriter(dl._Writer):
        def buffer(self) -> bytearray:
            before = self._made
            buf = super().buffer()
            if self._made > before:
                made.append(len(buf))
            assert isinstance(buf, real_bytearray)
            return buf

    monkeypatch.setattr(dl, "_Writer", CountingWriter)
    chunk = 64 * 1024
    server.resources["/a.tar"] = Resource(big_data)
    result = download_archive(server.url("/a.tar"), tmp_path / "a.tar", chunk_size=chunk)
    assert (tmp_path / "a.tar").read_bytes() == big_data
    assert result.sha256 == hashlib.sha256(big_data).hexdigest()
    assert len(big_data) // chunk > 4 * dl._BUFFERS  # many more chunks than buffers
    assert made == [chunk] * len(made)
    assert 1 <= len(made) <= dl._BUFFERS


async def test_a_kept_file_is_fsynced_an_archive_extracted_and_deleted_is_not(
    server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fsync costs seconds per GiB on a real disk; only a file the user keeps is worth it.
    import tinkex._download as dl

    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(dl.os, "fsync", counting_fsync)
    server.resources["/ckpt"] = Resource(tar_bytes({"a": b"1"}))
    rest = FakeRest(server.url("/ckpt"))
    dl.download_checkpoint(rest, "tinker://r/weights/w", tmp_path / "x")
    await dl.download_checkpoint_async(rest, "tinker://r/weights/w", tmp_path / "y")
    assert synced == []
    dl.download_checkpoint(rest, "tinker://r/weights/w", tmp_path / "z", extract=False)
    await dl.download_checkpoint_async(rest, "tinker://r/weights/w", tmp_path / "w", extract=False)
    dl.download_archive(server.url("/ckpt"), tmp_path / "a.tar")
    assert len(synced) == 3
