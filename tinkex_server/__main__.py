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
from collections.abc import Callable, Sequence
from typing import Any

from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
from tinkex_server._core import (
    DEFAULT_MAX_NUM_SAMPLES,
    DEFAULT_MAX_SAMPLED_TOKENS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_SESSION_TIMEOUT_S,
)
from tinkex_server._faults import parse_faults
from tinkex_server._futures import DEFAULT_SEQ_WINDOW
from tinkex_server._limits import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
)

__all__ = ["build_parser", "main"]

FAULTS_HELP = "inject faults for reliability tests (grammar below)"
FAULTS_EPILOG = """\
--faults SPEC: comma-separated key=value items, each key at most once
  5xx=RATE              answer 503 instead of handling the request
  429=RATE[@DUR]        answer 429 with Retry-After (default 1s); never on retrieve_future
  drop=RATE             handle the request, then cut the connection before the answer
  delay=RATE@DUR        wait DUR before handling
  expire=RATE           retrieve_future answers 410 and forgets the future
  pending=408|try_again how a still-pending retrieve_future answers (default 408)
  seed=INT              seed of the fault dice (default 0)
RATE is a probability in [0, 1]; DUR is e.g. 200ms or 1.5s. /api/v1/healthz is never faulted.
Example: --faults 5xx=0.1,429=0.05,drop=0.02,delay=0.1@200ms,expire=0.05,seed=1

The development API key is tml-local-dev-key unless --api-key is given."""


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
    p = argparse.ArgumentParser(
        prog="tinkex serve",
        description="Run a local Tinker-compatible server (logs one line with its base URL; Ctrl-C stops it).",
        epilog=FAULTS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free port)")
    p.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="where checkpoints and state.sqlite3 live (default: a temp dir)",
    )
    p.add_argument(
        "--backend", choices=("torch", "null"), default="torch", help="compute backend (default torch)"
    )
    p.add_argument(
        "--api-key", action="append", dest="api_keys", default=None, metavar="KEY",
        help=f"accepted API key (repeatable; default {DEFAULT_DEV_API_KEY})",
    )  # fmt: skip
    p.add_argument(
        "--model", action="append", type=_model, dest="models", default=None, metavar="NAME=PATH",
        help="register a local Hugging Face causal LM directory as NAME=PATH (repeatable)",
    )  # fmt: skip
    p.add_argument("--faults", type=_faults, default=None, metavar="SPEC", help=FAULTS_HELP)
    p.add_argument(
        "--session-timeout", type=float, default=DEFAULT_SESSION_TIMEOUT_S, metavar="SECONDS",
        help=f"seconds without heartbeat before a session expires (default {DEFAULT_SESSION_TIMEOUT_S:g})",
    )  # fmt: skip
    p.add_argument(
        "--zstd-fwdbwd", action="store_true",
        help="ask tinker >= 0.38 clients to zstd-compress forward_backward bodies (client/config)",
    )  # fmt: skip
    limits = p.add_argument_group(
        "limits", "Requests beyond these are refused at once with a 4xx naming the limit (see README)."
    )
    for flag, kind, default, metavar, text in _LIMITS:
        limits.add_argument(
            flag, type=kind, default=default, metavar=metavar, help=f"{text} (default {default:g})"
        )
    return p


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


# flag, type, default, metavar, help: each sets the ServerConfig field named like the flag.
_LIMITS: list[tuple[str, Callable[[str], Any], float, str, str]] = [
    ("--seq-window", _positive_int, DEFAULT_SEQ_WINDOW, "N",
     "how far ahead of a model's next seq_id a request may be; further is refused with 400"),
    ("--max-num-samples", _positive_int, DEFAULT_MAX_NUM_SAMPLES, "N", "asample: largest num_samples (422 above)"),
    ("--max-tokens", _positive_int, DEFAULT_MAX_TOKENS, "N", "asample: largest sampling_params.max_tokens (422 above)"),
    ("--max-sampled-tokens", _positive_int, DEFAULT_MAX_SAMPLED_TOKENS, "N",
     "asample: largest num_samples x max_tokens (max_tokens null counts as 1024; 422 above)"),
    ("--max-body-bytes", _positive_int, DEFAULT_MAX_BODY_BYTES, "BYTES",
     "largest request body; 413 from Content-Length before reading, or as soon as a chunked body passes it"),
    ("--body-timeout", _positive_float, DEFAULT_BODY_TIMEOUT_S, "SECONDS",
     "408 when a request body sends no data for this long"),
    ("--idle-timeout", _positive_float, DEFAULT_IDLE_TIMEOUT_S, "SECONDS",
     "close a connection that sends no complete request (new or kept alive) for this long"),
    ("--max-connections", _positive_int, DEFAULT_MAX_CONNECTIONS, "N",
     "open connections at once; more are closed on arrival"),
]  # fmt: skip


def _limit_config(args: argparse.Namespace) -> dict[str, Any]:
    names = {"--body-timeout": "body_timeout_s", "--idle-timeout": "idle_timeout_s"}
    out = {}
    for flag, *_rest in _LIMITS:
        dest = flag.removeprefix("--").replace("-", "_")
        out[names.get(flag, dest)] = getattr(args, dest)
    return out


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
        faults=args.faults, session_timeout_s=args.session_timeout, zstd_fwdbwd=args.zstd_fwdbwd,
        **_limit_config(args),
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
