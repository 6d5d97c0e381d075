"""Importing httpx without its command-line client: httpx 0.28's `__init__` imports `httpx._main`
(click, rich, pygments: ~80 of its ~125 ms import here) whenever those are installed, only to expose
`httpx.main`. `import_httpx()` imports httpx with `httpx.main` bound to a forwarder that loads the
real CLI on first call; `httpx._main` itself stays importable as usual."""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

__all__ = ["import_httpx"]

_lock = threading.Lock()


def _main(*args: Any, **kwargs: Any) -> Any:
    """`httpx.main`, loading httpx's command-line client on first use."""
    return importlib.import_module("httpx._main").main(*args, **kwargs)


def import_httpx() -> types.ModuleType:
    """The httpx module, imported (once) without eagerly loading its command-line client.

    Example::

        httpx = import_httpx()
        client = httpx.AsyncClient()
    """
    module = sys.modules.get("httpx")
    if module is not None:
        return module
    with _lock:
        if "httpx" in sys.modules or "httpx._main" in sys.modules:
            return importlib.import_module("httpx")
        stub = types.ModuleType("httpx._main", "placeholder while tinkex imports httpx")
        stub.main = _main  # type: ignore[attr-defined]
        sys.modules["httpx._main"] = stub
        try:
            return importlib.import_module("httpx")
        finally:
            # Only `from ._main import main` ever saw the stub; a later `import httpx._main` loads the
            # real module.
            if sys.modules.get("httpx._main") is stub:
                del sys.modules["httpx._main"]
