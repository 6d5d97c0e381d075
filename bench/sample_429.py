"""256 concurrent samples while the server answers 5 % of asample calls with 429: the session-wide
pause (0.7.0's behaviour, `sampling_backpressure="pause"`) against the throttled window (the
default), and the official `tinker==0.7.0` when installed.

The null backend answers in microseconds, so the rows measure what the client does after a 429:
with "pause" every sample of the session waits out each 1 s Retry-After; with "throttle" only the
429'd request waits while the others go on, at most 10 in flight for ~20 s. Each configuration runs
against its own fresh server with the same fault seed, interleaved over rounds (order flipped each
round), so each sees the same machine state and the same fault sequence.

The null server's asample answers in about a millisecond and its 429s are random, not a sign of
load, which is the case least favourable to throttling (fewer dispatches in flight buy nothing). Add
latency to see the case it is built for, e.g. ``--faults 429=0.05,delay=1@150ms``.

    .venv/bin/python bench/sample_429.py [--repeats 5] [--samples 256] [--faults 429=0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from client_roundtrip import null_server  # the same server process as the round-trip bench

from tinkex_server import DEFAULT_DEV_API_KEY


def one_round(
    sdk: ModuleType, base_url: str, samples: int, **client_kwargs: Any
) -> tuple[float, list[float]]:
    """(wall seconds of the burst, per-sample latencies) for one fresh client."""
    service = sdk.ServiceClient(base_url=base_url, api_key=DEFAULT_DEV_API_KEY, **client_kwargs)
    try:
        # Retried through 429s like any call; the burst below is what is timed.
        base_model = service.get_server_capabilities().supported_models[0].model_name
        sampler = service.create_sampling_client(base_model=base_model)
        prompt = sdk.types.ModelInput.from_ints(list(range(1, 65)))
        params = sdk.types.SamplingParams(max_tokens=16, temperature=1.0)

        async def timed() -> float:
            t0 = time.perf_counter()
            await sampler.sample_async(prompt=prompt, num_samples=1, sampling_params=params)
            return time.perf_counter() - t0

        async def burst() -> list[float]:
            return list(await asyncio.gather(*(timed() for _ in range(samples))))

        start = time.perf_counter()
        latencies = asyncio.run(burst())
        return time.perf_counter() - start, latencies
    finally:
        close = getattr(service, "close", None)
        if close is not None:
            close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument(
        "--faults", default="429=0.05", help="the server's --faults (a seed is added per round)"
    )
    parser.add_argument("--no-official", action="store_true", help="skip tinker==0.7.0 even if installed")
    args = parser.parse_args()
    os.environ.setdefault("TINKER_TELEMETRY", "0")

    tinkex = importlib.import_module("tinkex")
    configs: dict[str, Callable[[str], tuple[float, list[float]]]] = {
        "tinkex pause (before)": lambda url: one_round(
            tinkex, url, args.samples, sampling_backpressure="pause"
        ),
        "tinkex throttle (after)": lambda url: one_round(tinkex, url, args.samples),
    }
    if not args.no_official:
        try:
            official = importlib.import_module("tinker")
        except ImportError:
            pass
        else:
            configs["tinker 0.7.0"] = lambda url: one_round(official, url, args.samples)

    walls: dict[str, list[float]] = {name: [] for name in configs}
    lats: dict[str, list[float]] = {name: [] for name in configs}
    for round_ in range(args.repeats):
        order = list(configs) if round_ % 2 == 0 else list(reversed(configs))
        for name in order:
            # A fresh server per run with the round's seed: every configuration meets the same faults.
            with null_server(f"{args.faults},seed={round_ + 1}") as url:
                wall, latencies = configs[name](url)
            walls[name].append(wall)
            lats[name].extend(latencies)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    print(f"\n{args.samples} concurrent samples, null backend, --faults {args.faults}; {args.repeats} rounds")
    print(f"{'':26} {'wall median (s)':>16} {'sample p50 (ms)':>16} {'sample p95 (ms)':>16}")
    for name in configs:
        print(
            f"{name:26} {statistics.median(walls[name]):16.2f} {pct(lats[name], 0.5) * 1e3:16.1f}"
            f" {pct(lats[name], 0.95) * 1e3:16.1f}"
        )


if __name__ == "__main__":
    main()
