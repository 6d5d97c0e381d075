"""`import tinkex` against `import tinker` (the official 0.38.0, from .venv-tinker038), one run.

    .venv/bin/python bench/import_time.py [--runs 7]

Each import runs in a fresh interpreter (`python -c`), so nothing is cached in memory; the two SDKs
alternate, and the figure is the wall time of the import statement alone (the interpreter's own start
is not counted). Target (issue 11): `import tinkex` at least 10x faster than `import tinker` 0.38.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFICIAL_PYTHON = os.path.join(ROOT, ".venv-tinker038", "bin", "python")
PROBE = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"


def once(python: str, module: str) -> float:
    proc = subprocess.run(
        [python, "-c", PROBE.format(m=module)], capture_output=True, text=True, check=False, timeout=120
    )
    if proc.returncode != 0:
        sys.exit(f"import {module} failed with {python}:\n{proc.stderr}")
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not os.path.exists(OFFICIAL_PYTHON):
        sys.exit(f"{OFFICIAL_PYTHON} not found: run `make setup` (it builds .venv-tinker038)")
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.runs):
        ours.append(once(sys.executable, "tinkex"))
        theirs.append(once(OFFICIAL_PYTHON, "tinker"))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"import time, median of {args.runs} fresh interpreters each (best in brackets)")
    print(f"{'':16}{'tinkex':>18}{'tinker 0.38.0':>20}{'speed-up':>10}{'target':>8}")
    print(
        f"{'import':16}{o * 1e3:>10.1f} ms ({min(ours) * 1e3:.0f}){t * 1e3:>11.1f} ms ({min(theirs) * 1e3:.0f})"
        f"{t / o:>9.1f}x{'>= 10x':>8}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
