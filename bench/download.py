"""Checkpoint download benchmark: a 1 GiB tar archive served over loopback, downloaded by tinkex and
by the official tinker 0.7.0 CLI in the same run; prints throughput and peak RSS growth per client.

Usage::

    .venv/bin/python bench/download.py            # 1 GiB (takes ~1 min and ~4 GiB of temp disk)
    .venv/bin/python bench/download.py --mib 64   # quick check

The server runs in its own process (sendfile, Range, X-Checksum-Sha256, like the local server), and
every client runs in a fresh process, so neither shares the GIL nor inherits another's peak RSS.
The first download after the archive is generated is slow whoever makes it (on our 2-core VM, 512 MiB:
275 MB/s and 3.5 s of system CPU per GiB, then 740-850 MB/s and ~0.9 s/GiB for every later run, sync
or async alike: fresh page-cache memory costs far more than reused). `download_archive` always ran
first, so it looked ~40% slower than the async variant. Now an untimed warm-up download runs first,
dirty pages are flushed (`os.sync()`) before every client, and with --repeat the clients take turns
in a rotated order.

Besides wall throughput, each client reports its CPU time (user + system, all its threads) per GiB:
a figure that a busy machine distorts far less than MB/s. Targets (issue 4): >= 300 MB/s and
< 64 MiB peak RSS growth for tinkex.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

MiB = 1024 * 1024
TARGET_MBPS = 300.0
TARGET_RSS_MIB = 64.0


# --- the storage server (child process) -------------------------------------------------------


def serve(path: str, sha256: str, port_file: str) -> None:
    size = os.path.getsize(path)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            start = 0
            rng = self.headers.get("Range")
            if rng:
                start = int(rng.split("=", 1)[1].split("-", 1)[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(size - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/x-tar")
            self.send_header("X-Checksum-Sha256", sha256)
            self.end_headers()
            self.wfile.flush()
            with open(path, "rb") as f:
                self.connection.sendfile(f, start, size - start)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(httpd.server_address[1]))
    httpd.serve_forever()


# --- one measured client run (child process) ----------------------------------------------------


def rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def client(kind: str, url: str, workdir: str) -> None:
    """Run one download in this fresh process; print a JSON line with seconds and RSS figures."""
    out = Path(workdir)
    tinker_path = "tinker://bench-run/sampler_weights/final"

    class FakeRest:  # what RestClient.get_checkpoint_archive_url_from_tinker_path resolves to
        def get_checkpoint_archive_url_from_tinker_path(self, path: str) -> object:
            class R:
                def result(self, timeout: float | None = None) -> object:
                    class U:
                        pass

                    u = U()
                    u.url = url  # type: ignore[attr-defined]
                    return u

            return R()

    # Import everything first so that only the download itself counts.
    if kind.startswith("tinkex"):
        import asyncio

        from tinkex._download import download_archive, download_archive_async, download_checkpoint
    else:
        from click.testing import CliRunner
        from tinker.cli import __main__ as official_main
        from tinker.cli.commands import checkpoint as official_checkpoint

    baseline = rss_now()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if kind == "tinkex download_archive":
        download_archive(url, out / "a.tar")
    elif kind == "tinkex download_archive_async":
        asyncio.run(download_archive_async(url, out / "a.tar"))
    elif kind == "tinkex download_checkpoint (+extract)":
        download_checkpoint(FakeRest(), tinker_path, out)
    elif kind == "tinker 0.7.0 CLI checkpoint download (+extract)":
        # The official command, unchanged, with its RestClient lookup pointed at our URL.
        official_checkpoint.create_rest_client = lambda *a, **k: FakeRest()  # type: ignore[attr-defined]
        result = CliRunner().invoke(
            official_main.main_cli, ["-f", "json", "checkpoint", "download", tinker_path, "-o", str(out)]
        )
        if result.exit_code != 0:
            raise SystemExit(f"official CLI failed: {result.output} {result.exception!r}")
    else:
        raise SystemExit(f"unknown client {kind}")
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    user, system = usage.ru_utime - cpu0.ru_utime, usage.ru_stime - cpu0.ru_stime
    print(json.dumps({"seconds": seconds, "baseline": baseline, "peak": peak, "user": user, "sys": system}))


# --- driver -------------------------------------------------------------------------------------


def make_archive(directory: Path, mib: int) -> tuple[Path, str]:
    """A tar with one `mib` MiB member of incompressible bytes (a 16 MiB random block repeated)."""
    payload = directory / "adapter_model.safetensors"
    block = os.urandom(16 * MiB)
    with open(payload, "wb") as f:
        for _ in range(mib // 16):
            f.write(block)
        f.write(block[: (mib % 16) * MiB])
    archive = directory / "archive.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(payload, arcname="adapter_model.safetensors")
    payload.unlink()
    h = hashlib.sha256()
    with open(archive, "rb") as f:
        while chunk := f.read(8 * MiB):
            h.update(chunk)
    return archive, h.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=1024, help="archive size in MiB (default 1024 = 1 GiB)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per client (best wall, median CPU)")
    parser.add_argument("--serve", nargs=3, metavar=("PATH", "SHA256", "PORT_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=3, metavar=("KIND", "URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if args.client:
        client(*args.client)
        return

    kinds = [
        "tinkex download_archive",
        "tinkex download_archive_async",
        "tinkex download_checkpoint (+extract)",
        "tinker 0.7.0 CLI checkpoint download (+extract)",
    ]
    with tempfile.TemporaryDirectory(prefix="tinkex-bench-download-") as tmp:
        tmpdir = Path(tmp)
        print(f"generating a {args.mib} MiB archive in {tmpdir} ...", file=sys.stderr)
        archive, digest = make_archive(tmpdir, args.mib)
        size = archive.stat().st_size
        port_file = tmpdir / "port"
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(archive), digest, str(port_file)],
        )
        try:
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("storage server did not start")
                time.sleep(0.05)
            port = int(port_file.read_text())
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
            url = f"http://127.0.0.1:{port}/signed/archive.tar?sig=bench"
            runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
            # Untimed: the first download after generating the archive pays for fresh memory.
            warm = tmpdir / "warm-up"
            warm.mkdir()
            subprocess.run(
                [sys.executable, __file__, "--client", kinds[1], url, str(warm)],
                capture_output=True,
                timeout=1800,
                check=False,
            )
            shutil.rmtree(warm, ignore_errors=True)
            for round_ in range(args.repeat):
                # Rotated each round: no client always runs first (or always after the same one).
                shift = round_ % len(kinds)
                for kind in kinds[shift:] + kinds[:shift]:
                    work = tmpdir / "out"
                    work.mkdir()
                    os.sync()  # start from a quiet disk (see the module docstring)
                    try:
                        proc = subprocess.run(
                            [sys.executable, __file__, "--client", kind, url, str(work)],
                            capture_output=True,
                            text=True,
                            timeout=1800,
                        )
                    finally:
                        shutil.rmtree(work, ignore_errors=True)
                    if proc.returncode != 0:
                        print(f"{kind} failed:\n{proc.stdout}\n{proc.stderr}", file=sys.stderr)
                        continue
                    r = json.loads(proc.stdout.strip().splitlines()[-1])
                    runs[kind].append(r)
                    print(
                        f"  round {round_ + 1}: {kind}: {size / 1e6 / r['seconds']:.0f} MB/s, "
                        f"CPU {(r['user'] + r['sys']) / (size / 2**30):.2f} s/GiB",
                        file=sys.stderr,
                    )
        finally:
            server.terminate()
            server.wait(timeout=10)

    gib = size / 2**30
    print(f"\nArchive: {size / MiB:.0f} MiB tar over loopback (server: sendfile, X-Checksum-Sha256)")
    print(f"best wall of {args.repeat} run(s) per client; CPU = user + system of the client process, median")
    print(
        f"{'client':<50}{'seconds':>9}{'MB/s':>7}{'CPU s/GiB':>11}{'(user':>7}{'sys)':>6}{'RSS growth MiB':>16}"
    )
    print("-" * 106)
    for kind in kinds:
        if not runs[kind]:
            print(f"{kind:<50}{'failed':>9}")
            continue
        best = min(runs[kind], key=lambda r: r["seconds"])
        user = statistics.median(r["user"] for r in runs[kind]) / gib
        system = statistics.median(r["sys"] for r in runs[kind]) / gib
        growth = max(0, best["peak"] - best["baseline"]) / MiB
        print(
            f"{kind:<50}{best['seconds']:>9.2f}{size / 1e6 / best['seconds']:>7.0f}"
            f"{user + system:>11.2f}{user:>7.2f}{system:>6.2f}{growth:>16.1f}"
        )
    print(
        f"\nTargets for tinkex: >= {TARGET_MBPS:.0f} MB/s, peak RSS growth < {TARGET_RSS_MIB:.0f} MiB. "
        "tinkex verifies SHA-256 (and fsyncs an archive it keeps) before the atomic rename; the official "
        "CLI does neither."
    )


if __name__ == "__main__":
    main()
