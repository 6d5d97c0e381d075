"""Client round trips against the local server's null backend: tinkex vs the official SDK, one run.

Measures (1) a forward_backward round trip of 32 datums x 8192 tokens (submit, long-poll, decode) and
(2) 256 concurrent sample calls. The null backend computes nothing worth mentioning, but the server
still parses, validates and answers ~800,000 numbers per forward_backward in one Python thread
(~45 ms here), which both clients wait for: the "wall" rows include that share, the "client CPU"
rows are the clients' own cost (encoding, HTTP, polling, decoding).

How "client CPU" is measured: each SDK lives in its own worker process (this script with --worker),
and a row is the CPU time (user + system, all threads) of that worker during the call, so one SDK's
background threads (the official client runs its own event-loop thread) can never be counted in the
other's figure. The parent only starts the server and the workers and tells them when to run. The
two SDKs run interleaved, order flipped every round; "paired" is the median of the per-round ratios,
which cancels the machine's drift. Targets from issue 3: >= 5x faster for (1) and >= 2x for (2).

`--official 0.38` compares with the official tinker 0.38.0 instead, its worker run by the interpreter
of `.venv-tinker038` (made by `make setup`); tinkex then speaks the 0.38 protocol too (protobuf
forward_backward and results), as both negotiate it with the server. Targets from issue 11: round trip
>= 2x faster and client CPU >= 5x lower, 256 concurrent samples >= 2x faster.

    .venv/bin/python bench/client_roundtrip.py [--repeats 11] [--datums 32 --tokens 8192 --samples 256]
    .venv/bin/python bench/client_roundtrip.py --official 0.38
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import IO, Any

import httpx

DATUMS = 32
TOKENS = 8192
CONCURRENT_SAMPLES = 256


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The official SDK each --official choice compares with: (column name, interpreter running its worker).
OFFICIAL = {
    "0.7": ("tinker 0.7.0", sys.executable),
    "0.38": ("tinker 0.38.0", os.path.join(ROOT, ".venv-tinker038", "bin", "python")),
}


def build_batch(sdk: ModuleType, datums: int, tokens: int) -> list[Any]:
    types = sdk.types
    ids = [(i * 7919) % 250 for i in range(tokens + 1)]
    return [
        types.Datum(
            model_input=types.ModelInput.from_ints(ids[:-1]),
            loss_fn_inputs={"target_tokens": ids[1:], "weights": [1.0] * tokens},
        )
        for _ in range(datums)
    ]


def _client(made: Any) -> Any:
    """tinker 0.38 returns a future of the client (usable as the client, with a deprecation warning)."""
    if type(made).__name__.endswith("Client"):
        return made
    result = getattr(made, "result", None)
    return result() if callable(result) else made


# (wall seconds, CPU seconds of the worker process, i.e. of this one SDK's threads only)
Timing = tuple[float, float]


def _clock() -> Timing:
    return time.perf_counter(), time.process_time()


def _since(start: Timing) -> Timing:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


class Workload:
    """One SDK's clients, set up and warmed once; `forward_backward()` and `samples()` time one round."""

    def __init__(self, sdk: ModuleType, base_url: str, datums: int, tokens: int, samples: int) -> None:
        self.datums, self.concurrent = datums, samples
        self.service = sdk.ServiceClient(base_url=base_url, api_key=os.environ["TINKER_API_KEY"])
        base_model = self.service.get_server_capabilities().supported_models[0].model_name
        self.training = _client(self.service.create_lora_training_client(base_model=base_model, rank=8))
        self.sampler = _client(self.service.create_sampling_client(base_model=base_model))
        self.batch = build_batch(sdk, datums, tokens)
        self.prompt = sdk.types.ModelInput.from_ints(list(range(1, 65)))
        self.params = sdk.types.SamplingParams(max_tokens=16, temperature=1.0)
        self.forward_backward()  # warm-up: connections, imports, lazy paths
        self.samples()

    def forward_backward(self) -> Timing:
        start = _clock()
        out = self.training.forward_backward(self.batch, "cross_entropy").result()
        timing = _since(start)
        assert len(out.loss_fn_outputs) == self.datums
        return timing

    def samples(self) -> Timing:
        async def burst() -> None:
            results = await asyncio.gather(
                *(
                    self.sampler.sample_async(prompt=self.prompt, num_samples=1, sampling_params=self.params)
                    for _ in range(self.concurrent)
                )
            )
            assert len(results) == self.concurrent

        start = _clock()
        asyncio.run(burst())
        return _since(start)

    def close(self) -> None:
        close = getattr(self.service, "close", None)
        if close is not None:
            try:
                close()
            except TypeError:  # tinker 0.38: close(status) finishes the session
                close("success")


@contextlib.contextmanager
def null_server(faults: str = "") -> Iterator[str]:
    """The null-backend server in its own process, so it does not share the clients' GIL and core;
    `faults` is a `--faults` spec (bench/sample_429.py injects 429s)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinkex_server", "--backend", "null", "--port", str(port)]
        + (["--faults", faults] if faults else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/api/v1/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the null-backend server did not start within 60 s")
            time.sleep(0.1)
        yield base_url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def worker(module: str, base_url: str, args: argparse.Namespace) -> None:
    """One SDK in this process: answer each command line ("fb" / "samples") on stdin with its Timing
    as a JSON line on the original stdout (anything the SDK prints goes to stderr instead)."""
    proto: IO[str] = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    load = Workload(importlib.import_module(module), base_url, args.datums, args.tokens, args.samples)
    try:
        print("ready", file=proto, flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "quit":
                break
            timing = load.forward_backward() if command == "fb" else load.samples()
            print(json.dumps(timing), file=proto, flush=True)
    finally:
        load.close()


class Worker:
    """The parent's handle on one worker process."""

    def __init__(
        self, module: str, base_url: str, args: argparse.Namespace, python: str = sys.executable
    ) -> None:
        sizes = ["--datums", str(args.datums), "--tokens", str(args.tokens), "--samples", str(args.samples)]
        if not os.path.exists(python):
            raise SystemExit(f"{python} not found: run `make setup` (it builds .venv-tinker038)")
        self.proc = subprocess.Popen(
            [python, __file__, "--worker", module, "--base-url", base_url, *sizes],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect("ready")

    def _expect(self, what: str) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.proc.args!r} exited before answering ({what})")
        return line

    def run(self, command: str) -> Timing:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        wall, cpu = json.loads(self._expect(command))
        return float(wall), float(cpu)

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--datums", type=int, default=DATUMS, help="forward_backward batch size")
    parser.add_argument("--tokens", type=int, default=TOKENS, help="tokens per datum")
    parser.add_argument("--samples", type=int, default=CONCURRENT_SAMPLES, help="concurrent sample calls")
    parser.add_argument(
        "--official", choices=sorted(OFFICIAL), default="0.7", help="official SDK to compare with"
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TINKER_TELEMETRY", "0")
    if args.worker is not None:
        worker(args.worker, args.base_url, args)
        return
    from tinkex_server import DEFAULT_DEV_API_KEY

    os.environ.setdefault("TINKER_API_KEY", DEFAULT_DEV_API_KEY)  # the workers read it
    official_name, official_python = OFFICIAL[args.official]
    sdks = {"tinkex": ("tinkex", sys.executable), official_name: ("tinker", official_python)}
    timings: dict[str, dict[str, list[Timing]]] = {name: {"fb": [], "samples": []} for name in sdks}
    with null_server() as base_url:
        workers: dict[str, Worker] = {}
        try:
            for name, (module, python) in sdks.items():
                workers[name] = Worker(module, base_url, args, python)
            # Interleaved, the order flipped every round: both clients see the same machine state
            # (this shared 2-core VM drifts by +-30% over minutes), and neither always goes first.
            # One call at a time: the idle worker only waits on its stdin meanwhile.
            for round_ in range(args.repeats):
                order = list(workers) if round_ % 2 == 0 else list(reversed(workers))
                for kind in ("fb", "samples"):
                    for name in order:
                        timings[name][kind].append(workers[name].run(kind))
        finally:
            for w in workers.values():
                w.close()

    def median(name: str, kind: str, index: int) -> float:
        return statistics.median(t[index] for t in timings[name][kind])

    def paired(kind: str, index: int) -> float:
        # Each round's two calls ran back to back, so their ratio cancels the machine's drift.
        pairs = zip(timings[official_name][kind], timings["tinkex"][kind], strict=True)
        return statistics.median(off[index] / own[index] for off, own in pairs)

    shape = f"{args.datums}x{args.tokens}"
    print(f"\nmedian of {args.repeats} interleaved rounds, null backend in its own process on 127.0.0.1")
    print("wall = the round trip as a user sees it (includes the server's share, the same for both);")
    print("client CPU = CPU time (user+system, all threads) of the SDK's own worker process during the")
    print("  call: each SDK runs alone in its own process, so neither is charged for the other's threads;")
    print("paired = median over rounds of (official / tinkex) within the round")
    print(
        f"{'(each SDK in its own process)':42} {'tinkex':>10} {official_name:>13} {'speed-up':>9}"
        f" {'paired':>7} {'target':>7}"
    )
    v038 = args.official == "0.38"
    for label, kind, index, target in [
        (f"forward_backward {shape}, wall (ms)", "fb", 0, ">= 2x" if v038 else ">= 5x"),
        (f"forward_backward {shape}, client CPU (ms)", "fb", 1, ">= 5x" if v038 else ""),
        (f"{args.samples} concurrent samples, wall (ms)", "samples", 0, ">= 2x"),
        (f"{args.samples} concurrent samples, client CPU (ms)", "samples", 1, ""),
    ]:
        ours, official = median("tinkex", kind, index), median(official_name, kind, index)
        print(
            f"{label:42} {ours * 1e3:10.1f} {official * 1e3:13.1f}"
            f" {official / ours:8.1f}x {paired(kind, index):6.1f}x {target:>7}"
        )


if __name__ == "__main__":
    main()
