"""Run a program written for the official tinker SDK on tinkex, unchanged.

    python -m tinkex.as_tinker SCRIPT [ARGS...]
    python -m tinkex.as_tinker -m MODULE [ARGS...]

`tinkex.install_as_tinker()` is installed first, then the program runs as `python SCRIPT ARGS` or
`python -m MODULE ARGS` would run it: as `__main__`, with the same `sys.argv` and `sys.path[0]`, and
its exit status is the process's.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import zipfile
from collections.abc import Sequence

from tinkex._alias import install_as_tinker

USAGE = (
    "usage: python -m tinkex.as_tinker SCRIPT [ARGS...]\n"
    "       python -m tinkex.as_tinker -m MODULE [ARGS...]\n"
    "Runs a program written for the official tinker SDK on tinkex: `import tinker` loads tinkex."
)
PROG = "python -m tinkex.as_tinker"


def _usage_error(message: str) -> SystemExit:
    print(f"{PROG}: {message}\n{USAGE}", file=sys.stderr)
    return SystemExit(2)


def main(argv: Sequence[str] | None = None) -> None:
    """Install the tinker alias and run SCRIPT or `-m MODULE` with ARGS (argv defaults to sys.argv[1:]).

    It replaces `sys.argv` and `sys.path[0]` as the interpreter does for the program it starts, so
    call it only as the entry point of a process (that is what `python -m tinkex.as_tinker` does).

    Example::

        $ python -m tinkex.as_tinker -m tinker_cookbook.recipes.sl_basic log_path=/tmp/sl
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise _usage_error("name a script or -m MODULE to run")
    if args[0] in ("-h", "--help"):
        print(USAGE)
        return
    if args[0].startswith("-m"):
        # `-m MODULE` and `-mMODULE`, as python accepts both
        module = args[0][2:] or (args[1] if len(args) > 1 else "")
        rest = args[1:] if args[0] != "-m" else args[2:]
        if not module:
            raise _usage_error("-m needs a module name")
        install_as_tinker()
        try:
            found = importlib.util.find_spec(module)
        except ImportError as exc:
            found, why = None, f": {exc}"
        else:
            why = ""
        if found is None:
            print(f"{PROG}: no module named {module!r}{why}", file=sys.stderr)
            raise SystemExit(1)
        # run_module(alter_sys=True) sets argv[0] to the module's file, as `python -m` does
        sys.argv = [module, *rest]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    if args[0].startswith("-"):
        raise _usage_error(f"unknown option {args[0]!r} (only -m MODULE is understood)")
    script = args[0]
    if not os.path.exists(script):
        print(f"{PROG}: can't open file {script!r}: no such file or directory", file=sys.stderr)
        raise SystemExit(2)
    install_as_tinker()
    sys.argv = [script, *args[1:]]
    if not sys.flags.safe_path:
        # python puts the script's own directory (symlinks resolved) first on sys.path, where -m put
        # the current one; a directory or zip application is itself that entry. Under -P neither.
        is_app = os.path.isdir(script) or zipfile.is_zipfile(script)
        sys.path[0] = os.path.abspath(script) if is_app else os.path.dirname(os.path.realpath(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
