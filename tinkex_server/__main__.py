"""`python -m tinkex_server` (and `tinkex serve`): parse the command line, run `LocalServer` until Ctrl-C.

--faults grammar (comma-separated, each key at most once)::

    5xx=RATE  429=RATE[@DUR]  drop=RATE  delay=RATE@DUR  expire=RATE  pending=408|try_again  seed=INT

RATE is a probability in [0, 1], DUR like 200ms or 1.5s. Example:
``--faults 5xx=0.1,429=0.05,drop=0.02,delay=0.1@200ms,expire=0.05,seed=1``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence

from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
from tinkex_server._core import DEFAULT_SESSION_TIMEOUT_S
from tinkex_server._faults import parse_faults

__all__ = ["build_parser", "main"]

FAULTS_HELP = (
    "inject faults: comma-separated 5xx=RATE, 429=RATE[@DUR], drop=RATE, delay=RATE@DUR, expire=RATE, "
    "pending=408|try_again, seed=INT (RATE in [0,1], DUR like 200ms or 1s), "
    "e.g. 5xx=0.1,429=0.05,drop=0.02,delay=0.1@200ms,expire=0.05,seed=1"
)


def _model(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, path


def _faults(text: str) -> str:
    try:
        parse_faults(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    """The command line of the server (shared with `tinkex serve`'s help)."""
    p = argparse.ArgumentParser(prog="tinkex serve", description="Run a local Tinker-compatible server.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free port)")
    p.add_argument(
        "--data-dir", default=None, help="where checkpoints and state.sqlite3 live (default: a temp dir)"
    )
    p.add_argument(
        "--backend", choices=("torch", "null"), default="torch", help="compute backend (default torch)"
    )
    p.add_argument(
        "--api-key", action="append", dest="api_keys", default=None,
        help=f"accepted API key (repeatable; default {DEFAULT_DEV_API_KEY})",
    )  # fmt: skip
    p.add_argument(
        "--model", action="append", type=_model, dest="models", default=None,
        help="register a local Hugging Face causal LM directory as NAME=PATH (repeatable)",
    )  # fmt: skip
    p.add_argument("--faults", type=_faults, default=None, help=FAULTS_HELP)
    p.add_argument(
        "--session-timeout", type=float, default=DEFAULT_SESSION_TIMEOUT_S,
        help=f"seconds without heartbeat before a session expires (default {DEFAULT_SESSION_TIMEOUT_S:g})",
    )  # fmt: skip
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; logs one line with the base URL. Returns the exit code.

    Example::

        main(["--backend", "null", "--port", "0"])
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    server = LocalServer(
        host=args.host, port=args.port, data_dir=args.data_dir, backend=args.backend,
        api_keys=tuple(args.api_keys or (DEFAULT_DEV_API_KEY,)), models=dict(args.models or []),
        faults=args.faults, session_timeout_s=args.session_timeout,
    )  # fmt: skip
    server.start()  # logs "tinkex server listening on <base URL>"
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
