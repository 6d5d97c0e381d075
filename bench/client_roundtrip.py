"""Client round trips against the local server's null backend: tinkex vs the official SDK, one run.

Measures (1) a forward_backward round trip of 32 datums x 8192 tokens (submit, long-poll, decode) and
(2) 256 concurrent sample calls. The null backend computes nothing worth mentioning, but the server
still parses, validates and answers ~800,000 numbers per forward_backward in one Python thread
(~45 ms here), which both clients wait for: the "wall" rows include that share, the "client CPU"
rows are the clients' own cost (encoding, HTTP, polling, decoding). The two SDKs run interleaved,
order flipped every round; "paired" is the median of the per-round ratios, which cancels the
machine's drift. Targets from issue 3: >= 5x faster for (1) and >= 2x for (2).

    .venv/bin/python bench/client_roundtrip.py [--repeats 11]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx

from tinkex_server import DEFAULT_DEV_API_KEY

DATUMS = 32
TOKENS = 8192
CONCURRENT_SAMPLES = 256


def build_batch(sdk: ModuleType) -> list[Any]:
    types = sdk.types
    tokens = [(i * 7919) % 250 for i in range(TOKENS + 1)]
    return [
        types.Datum(
            model_input=types.ModelInput.from_ints(tokens[:-1]),
            loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * TOKENS},
        )
        for _ in range(DATUMS)
    ]


Timing = tuple[float, float]  # (wall seconds, this process's CPU seconds: the client's own cost)


def _clock() -> Timing:
    return time.perf_counter(), time.process_time()


def _since(start: Timing) -> Timing:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


class Workload:
    """One SDK's clients, set up and warmed once; `forward_backward()` and `samples()` time one round."""

    def __init__(self, sdk: ModuleType, base_url: str) -> None:
        self.service = sdk.ServiceClient(base_url=base_url, api_key=DEFAULT_DEV_API_KEY)
        base_model = self.service.get_server_capabilities().supported_models[0].model_name
        self.training = self.service.create_lora_training_client(base_model=base_model, rank=8)
        self.sampler = self.service.create_sampling_client(base_model=base_model)
        self.batch = build_batch(sdk)
        self.prompt = sdk.types.ModelInput.from_ints(list(range(1, 65)))
        self.params = sdk.types.SamplingParams(max_tokens=16, temperature=1.0)
        self.forward_backward()  # warm-up: connections, imports, lazy paths
        self.samples()

    def forward_backward(self) -> Timing:
        start = _clock()
        out = self.training.forward_backward(self.batch, "cross_entropy").result()
        timing = _since(start)
        assert len(out.loss_fn_outputs) == DATUMS
        return timing

    def samples(self) -> Timing:
        async def burst() -> None:
            results = await asyncio.gather(
                *(
                    self.sampler.sample_async(prompt=self.prompt, num_samples=1, sampling_params=self.params)
                    for _ in range(CONCURRENT_SAMPLES)
                )
            )
            assert len(results) == CONCURRENT_SAMPLES

        start = _clock()
        asyncio.run(burst())
        return _since(start)

    def close(self) -> None:
        close = getattr(self.service, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def null_server() -> Iterator[str]:
    """The null-backend server in its own process, so it does not share the clients' GIL and core."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinkex_server", "--backend", "null", "--port", str(port)],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    os.environ.setdefault("TINKER_TELEMETRY", "0")

    sdks = {"tinkex": importlib.import_module("tinkex"), "tinker 0.7.0": importlib.import_module("tinker")}
    timings: dict[str, dict[str, list[Timing]]] = {name: {"fb": [], "samples": []} for name in sdks}
    with null_server() as base_url:
        loads = {name: Workload(sdk, base_url) for name, sdk in sdks.items()}
        try:
            # Interleaved, the order flipped every round: both clients see the same machine state
            # (this shared 2-core VM drifts by +-30% over minutes), and neither always goes first.
            for round_ in range(args.repeats):
                order = list(loads) if round_ % 2 == 0 else list(reversed(loads))
                for name in order:
                    timings[name]["fb"].append(loads[name].forward_backward())
                for name in order:
                    timings[name]["samples"].append(loads[name].samples())
        finally:
            for load in loads.values():
                load.close()

    def median(name: str, kind: str, index: int) -> float:
        return statistics.median(t[index] for t in timings[name][kind])

    def paired(kind: str, index: int) -> float:
        # Each round's two calls ran back to back, so their ratio cancels the machine's drift.
        pairs = zip(timings["tinker 0.7.0"][kind], timings["tinkex"][kind], strict=True)
        return statistics.median(off[index] / own[index] for off, own in pairs)

    print(f"\nmedian of {args.repeats} interleaved rounds, null backend in its own process on 127.0.0.1")
    print("wall = the round trip as a user sees it (includes the server's share, the same for both);")
    print("client CPU = this process's CPU time during the call (the client's own cost);")
    print("paired = median over rounds of (official / tinkex) within the round")
    print(f"{'':42} {'tinkex':>10} {'tinker 0.7.0':>13} {'speed-up':>9} {'paired':>7} {'target':>7}")
    for label, kind, index, target in [
        ("forward_backward 32x8192, wall (ms)", "fb", 0, ">= 5x"),
        ("forward_backward 32x8192, client CPU (ms)", "fb", 1, ""),
        (f"{CONCURRENT_SAMPLES} concurrent samples, wall (ms)", "samples", 0, ">= 2x"),
        (f"{CONCURRENT_SAMPLES} concurrent samples, client CPU (ms)", "samples", 1, ""),
    ]:
        ours, official = median("tinkex", kind, index), median("tinker 0.7.0", kind, index)
        print(
            f"{label:42} {ours * 1e3:10.1f} {official * 1e3:13.1f}"
            f" {official / ours:8.1f}x {paired(kind, index):6.1f}x {target:>7}"
        )


if __name__ == "__main__":
    main()
