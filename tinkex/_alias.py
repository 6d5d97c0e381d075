"""`install_as_tinker()`: makes `import tinker` (and the tinker submodules real programs import) load
tinkex, so a program written for the official SDK runs on tinkex unchanged.

How: `sys.modules["tinker"]` becomes the `tinkex` module, and a finder placed first on
`sys.meta_path` answers every `tinker.<sub>` import from one table (`TINKER_MODULES`), before the
path finder could load the official package installed beside tinkex. A `tinker.<sub>` outside the
table fails at its import with a message naming it, instead of loading a second copy of a tinkex
module (tinkex's `__path__` is what `tinker.__path__` is after the swap) or failing later with an
AttributeError.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

from tinkex._exceptions import TinkexError

# Official module path -> the tinkex module that provides it. Only what programs written for the
# official SDK import (tinker-cookbook 0.6.1 included); the official SDK's own internals are not here.
TINKER_MODULES: dict[str, str] = {
    "tinker": "tinkex",
    "tinker.types": "tinkex.types",
    "tinker.types.tensor_data": "tinkex.types.tensor_data",
    "tinker.lib": "tinkex.lib",
    "tinker.lib.public_interfaces": "tinkex.lib.public_interfaces",
    # the official package's client modules, imported by name for their classes (tinker-cookbook's
    # weights download names `...public_interfaces.rest_client.RestClient`)
    "tinker.lib.public_interfaces.api_future": "tinkex._runtime._futures",
    "tinker.lib.public_interfaces.rest_client": "tinkex._rest_client",
    "tinker.lib.public_interfaces.sampling_client": "tinkex._sampling_client",
    "tinker.lib.public_interfaces.service_client": "tinkex._service_client",
    "tinker.lib.public_interfaces.training_client": "tinkex._training_client",
    # the binary bodies of tinker >= 0.38: tinkex's own compiled .proto, with 0.38's message and field
    # names and numbers (tests/e2e/test_038_flow_on_tinkex.py compares the two descriptors)
    "tinker.proto": "_tinkex_lowlevel.proto",
    "tinker.proto.tinker_public_pb2": "_tinkex_lowlevel.proto.tinkex_wire_pb2",
}

_ROOT = "tinker"
# serialises the check-then-install of install_as_tinker (two threads may call it at once)
_INSTALL_LOCK = threading.Lock()


def _is_tinker_name(name: str) -> bool:
    return name == _ROOT or name.startswith(_ROOT + ".")


def _not_provided(name: str, target: str | None) -> ModuleNotFoundError:
    if target is None:
        why = "tinkex has no counterpart of it"
    else:
        why = f"it maps to {target}, which this tinkex version does not have"
    return ModuleNotFoundError(
        f"the tinker module {name!r} is not provided by tinkex yet ({why}). tinkex.install_as_tinker() "
        f"stands in for {', '.join(TINKER_MODULES)}; run this program with the official tinker package, "
        "or ask for the module to be added to tinkex",
        name=name,
    )


class _AliasLoader(importlib.abc.Loader):
    """Loads `tinker.<sub>` as the tinkex module that provides it: the same module object, not a copy."""

    def __init__(self, name: str, target: str) -> None:
        self._name = name
        self._target = target
        self._target_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        try:
            module = importlib.import_module(self._target)
        except ModuleNotFoundError as exc:
            # only "the target (or a package above it) does not exist" is ours to explain; a missing
            # dependency deeper down keeps its own message
            if exc.name is not None and (self._target + ".").startswith(exc.name + "."):
                raise _not_provided(self._name, self._target) from None  # the message says it all
            raise
        self._target_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module is already executed (it is the tinkex one). importlib set its __spec__ to the
        # alias spec; give it back its own, which relative imports and reload() read.
        module.__spec__ = self._target_spec
        if not hasattr(module, "__path__") and any(n.startswith(self._name + ".") for n in TINKER_MODULES):
            # The official path is a package with mapped submodules, but the tinkex module providing it
            # is a plain module: importlib asks finders for a child only under a parent with __path__.
            # An empty one lets the table answer and makes nothing else importable beneath it.
            module.__path__ = []


class _TinkerFinder(importlib.abc.MetaPathFinder):
    """Answers every `tinker` / `tinker.<sub>` import from TINKER_MODULES (first on sys.meta_path)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_tinker_name(fullname):
            return None
        provider = TINKER_MODULES.get(fullname)
        if provider is None:
            raise _not_provided(fullname, None)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(fullname, provider))


def _foreign_tinker_modules() -> list[str]:
    """The `tinker*` entries of sys.modules that are not tinkex's stand-ins (the official package)."""
    foreign = []
    for name, module in sys.modules.copy().items():  # a copy: other threads may import meanwhile
        if not _is_tinker_name(name) or module is None:
            continue
        provider = TINKER_MODULES.get(name)
        if provider is None or sys.modules.get(provider) is not module:
            foreign.append(name)
    return sorted(foreign)


def install_as_tinker() -> None:
    """Make `import tinker` and its submodules (`tinker.types`, ...) load tinkex from now on.

    Call it at the top of a program written for the official SDK, before anything imports `tinker`;
    it works even when the official package is installed too. Calling it again does nothing. It
    refuses (`TinkexError`) once the official `tinker` has been imported in this process, since the
    program would then mix two SDKs' objects. `python -m tinkex.as_tinker SCRIPT [ARGS]` (or
    `-m MODULE [ARGS]`) runs a program with it installed.

    Example::

        import tinkex

        tinkex.install_as_tinker()
        import tinker  # this is tinkex
        from tinker import types

        assert tinker.ServiceClient is tinkex.ServiceClient
    """
    with _INSTALL_LOCK:
        foreign = _foreign_tinker_modules()
        if foreign:
            module = sys.modules[foreign[0]]
            where = getattr(module, "__file__", None) or repr(module)
            raise TinkexError(
                f"install_as_tinker(): the official tinker package is already imported in this process "
                f"({foreign[0]} from {where}), so tinkex cannot stand in for it. Call "
                "tinkex.install_as_tinker() before anything imports tinker (first thing in the program's "
                "entry point), or run the program with `python -m tinkex.as_tinker SCRIPT [ARGS]` "
                "(or `python -m tinkex.as_tinker -m MODULE [ARGS]`)"
            )
        if not any(isinstance(finder, _TinkerFinder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _TinkerFinder())
        sys.modules[_ROOT] = importlib.import_module(TINKER_MODULES[_ROOT])
