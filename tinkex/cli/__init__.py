"""The `tinkex` command line (click): runs, checkpoints, sessions, sampling and the local server,
built on the public `tinkex` API only. `main` is the console-script entry point.

Example::

    $ tinkex --json checkpoint list --limit 5
    $ tinkex checkpoint download tinker://run-1/sampler_weights/final -o ckpts
"""

from __future__ import annotations

from tinkex.cli._commands import (
    EXIT_API_ERROR,
    EXIT_AUTH,
    EXIT_CONNECTION,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    cli,
    main,
)

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_AUTH",
    "EXIT_CONNECTION",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "cli",
    "main",
]
