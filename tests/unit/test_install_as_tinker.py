"""`tinkex.install_as_tinker()` and `python -m tinkex.as_tinker`: `import tinker` loads tinkex even with
the official tinker (0.7.0, in the project venv) installed beside it.

Each case runs in its own interpreter: the alias changes sys.modules and sys.meta_path for good.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TINKER_TELEMETRY": "0"}
    env.pop("PYTHONSTARTUP", None)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=env, check=False
    )


def run_code(code: str) -> Any:
    """Run `code` in a fresh interpreter; it prints one JSON value last, which is returned."""
    done = python("-c", textwrap.dedent(code))
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_official_tinker_is_installed_beside_tinkex() -> None:
    # the premise of every test below: without the alias, `import tinker` is the official package
    got = run_code(
        """
        import json, tinker, importlib.metadata
        print(json.dumps([tinker.__name__, tinker.__file__, importlib.metadata.version("tinker")]))
        """
    )
    assert got[0] == "tinker"
    assert "tinkex" not in got[1]
    assert got[2] == "0.7.0"


def test_import_tinker_loads_tinkex_and_its_types() -> None:
    got = run_code(
        """
        import json, sys, tinkex
        tinkex.install_as_tinker()
        import tinker
        from tinker import types
        import tinker.types as dotted
        from tinker.types import Datum
        print(json.dumps({
            "module": tinker is tinkex,
            "service_client": tinker.ServiceClient is tinkex.ServiceClient,
            "datum": types.Datum is tinkex.types.Datum and Datum is tinkex.types.Datum,
            "types": types is tinkex.types and dotted is tinkex.types,
            "specs": [tinkex.__spec__.name, tinkex.types.__spec__.name],
            "official": sorted(
                name for name, m in sys.modules.items()
                if "site-packages" in (getattr(m, "__file__", None) or "") and name.startswith("tinker")
            ),
        }))
        """
    )
    assert got["module"], got
    assert got["service_client"], got
    assert got["datum"], got
    assert got["types"], got
    # the tinkex modules keep their own identity (relative imports and reload read __spec__)
    assert got["specs"] == ["tinkex", "tinkex.types"]
    assert got["official"] == [], "a module of the official package was loaded"


def test_every_mapped_module_path_is_the_tinkex_module_or_a_clear_import_error() -> None:
    got = run_code(
        """
        import importlib, importlib.util, json, sys, tinkex
        from tinkex._alias import TINKER_MODULES
        tinkex.install_as_tinker()
        out = {}
        for name, target in TINKER_MODULES.items():
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                out[name] = ["error", str(exc), exc.name]
            else:
                out[name] = ["ok", module is importlib.import_module(target), module.__name__]
        print(json.dumps(out))
        """
    )
    from tinkex._alias import TINKER_MODULES

    assert set(got) == set(TINKER_MODULES)
    for name, (kind, *rest) in got.items():
        if kind == "ok":
            assert rest == [True, TINKER_MODULES[name]], (name, rest)
        else:
            # not there yet in this tinkex (tinkex.lib, tinkex.types.tensor_data before issue 11's API
            # half): the error names the official path, which is the first missing one in its chain
            message, missing = rest
            assert missing is not None, (name, rest)
            assert name.startswith(missing), (name, rest)
            assert f"the tinker module {missing!r} is not provided by tinkex yet" in message, message
    assert got["tinker"][0] == got["tinker.types"][0] == "ok"
    assert got["tinker.proto.tinker_public_pb2"][0] == "ok"


def test_the_protobuf_module_path_gives_the_wire_messages() -> None:
    got = run_code(
        """
        import json, tinkex
        tinkex.install_as_tinker()
        from tinker.proto import tinker_public_pb2 as pb
        request = pb.ForwardBackwardRequest()
        print(json.dumps([type(request).__name__, hasattr(pb, "SampleResponse")]))
        """
    )
    assert got == ["ForwardBackwardRequest", True]


def test_an_unmapped_submodule_fails_at_its_import_naming_it() -> None:
    got = run_code(
        """
        import json, sys, tinkex
        tinkex.install_as_tinker()
        out = []
        for name in ("tinker._exceptions", "tinker.cli", "tinker.types.no_such_module"):
            try:
                __import__(name)
            except ImportError as exc:
                out.append([type(exc).__name__, exc.name, str(exc)])
            else:
                out.append(["imported", name, ""])
        # not loaded a second time under the tinker name: tinkex/_exceptions.py is on tinker.__path__
        out.append(sorted(n for n in sys.modules if n.startswith("tinker.")))
        print(json.dumps(out))
        """
    )
    *errors, loaded = got
    for (kind, name, message), expected in zip(
        errors, ("tinker._exceptions", "tinker.cli", "tinker.types.no_such_module"), strict=True
    ):
        assert kind == "ModuleNotFoundError", (kind, name)
        assert name == expected
        assert f"the tinker module {expected!r} is not provided by tinkex yet" in message
        assert "tinker.types" in message  # it lists what is provided
    assert loaded == ["tinker.types"], loaded


def test_a_missing_dependency_of_a_mapped_module_keeps_its_own_error(tmp_path: Path) -> None:
    (tmp_path / "providerpkg").mkdir()
    (tmp_path / "providerpkg" / "__init__.py").write_text("")
    (tmp_path / "providerpkg" / "mod.py").write_text("import no_such_dependency_xyz\n")
    got = run_code(
        f"""
        import json, sys, tinkex
        from tinkex import _alias
        sys.path.insert(0, {str(tmp_path)!r})
        _alias.TINKER_MODULES["tinker.extra"] = "providerpkg.mod"
        tinkex.install_as_tinker()
        try:
            import tinker.extra
        except ImportError as exc:
            print(json.dumps([exc.name, str(exc)]))
        """
    )
    assert got == ["no_such_dependency_xyz", "No module named 'no_such_dependency_xyz'"]


def test_a_mapped_package_path_may_be_provided_by_a_plain_module(tmp_path: Path) -> None:
    # e.g. `tinker.lib.public_interfaces.rest_client` under a tinkex module that is not a package
    (tmp_path / "flatprovider.py").write_text("VALUE = 1\n")
    (tmp_path / "childprovider.py").write_text("VALUE = 2\n")
    got = run_code(
        f"""
        import json, sys, tinkex
        from tinkex import _alias
        sys.path.insert(0, {str(tmp_path)!r})
        _alias.TINKER_MODULES["tinker.flat"] = "flatprovider"
        _alias.TINKER_MODULES["tinker.flat.child"] = "childprovider"
        tinkex.install_as_tinker()
        from tinker.flat.child import VALUE
        import flatprovider, childprovider
        try:
            import tinker.flat.other
        except ImportError as exc:
            other = exc.name
        print(json.dumps([VALUE, sys.modules["tinker.flat.child"] is childprovider, flatprovider.__path__, other]))
        """
    )
    assert got == [2, True, [], "tinker.flat.other"]


def test_install_is_idempotent_and_thread_safe() -> None:
    got = run_code(
        """
        import json, sys, threading, tinkex
        from tinkex._alias import _TinkerFinder
        barrier = threading.Barrier(8)
        seen = []
        def install():
            barrier.wait()
            tinkex.install_as_tinker()
            import tinker
            seen.append(tinker is tinkex)
        threads = [threading.Thread(target=install) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        tinkex.install_as_tinker()
        print(json.dumps([seen, sum(isinstance(f, _TinkerFinder) for f in sys.meta_path)]))
        """
    )
    assert got == [[True] * 8, 1]


def test_install_refuses_once_the_official_tinker_is_imported() -> None:
    got = run_code(
        """
        import json, sys
        import tinker  # the official package, first
        import tinkex
        from tinkex._alias import _TinkerFinder
        try:
            tinkex.install_as_tinker()
        except tinkex.TinkexError as exc:
            outcome = str(exc)
        else:
            outcome = None
        print(json.dumps([
            outcome,
            sys.modules["tinker"] is tinker,
            any(isinstance(f, _TinkerFinder) for f in sys.meta_path),
        ]))
        """
    )
    message, untouched, finder = got
    assert message is not None, "install_as_tinker() accepted a process that already uses tinker"
    assert "already imported" in message
    assert "before anything imports tinker" in message
    assert "python -m tinkex.as_tinker" in message
    # nothing changed: the program keeps working on the official SDK
    assert untouched
    assert not finder


PROGRAM = """
import json, sys
import tinker
import tinkex
from tinker import types
print(json.dumps({
    "argv": sys.argv, "name": __name__, "path0": sys.path[0],
    "tinkex": tinker is tinkex and types.Datum is tinkex.types.Datum,
}))
code = sys.argv[-1]
if code == "boom":
    raise RuntimeError("boom from the program")
sys.exit(int(code))
"""


def last_json(out: str) -> Any:
    return json.loads(out.strip().splitlines()[-1])


def test_runner_runs_a_script_as_python_would(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "prog.py").write_text(PROGRAM)
    done = python("-m", "tinkex.as_tinker", "scripts/prog.py", "--flag", "x y", "0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    got = last_json(done.stdout)
    assert got == {
        "argv": ["scripts/prog.py", "--flag", "x y", "0"],
        "name": "__main__",
        "path0": str(scripts),  # the script's directory, not the current one
        "tinkex": True,
    }
    assert python("-m", "tinkex.as_tinker", "scripts/prog.py", "7", cwd=tmp_path).returncode == 7


def test_runner_runs_a_module_with_dash_m(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "prog.py").write_text(PROGRAM)
    for form in (["-m", "pkg.prog"], ["-mpkg.prog"]):
        done = python("-m", "tinkex.as_tinker", *form, "-v", "0", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        got = last_json(done.stdout)
        # as `python -m pkg.prog -v 0`: argv[0] is the module's file, the current directory first
        assert got == {
            "argv": [str(tmp_path / "pkg" / "prog.py"), "-v", "0"],
            "name": "__main__",
            "path0": str(tmp_path),
            "tinkex": True,
        }
    assert python("-m", "tinkex.as_tinker", "-m", "pkg.prog", "5", cwd=tmp_path).returncode == 5
    crashed = python("-m", "tinkex.as_tinker", "-m", "pkg.prog", "boom", cwd=tmp_path)
    assert crashed.returncode == 1
    assert "RuntimeError: boom from the program" in crashed.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        ([], 2, "name a script or -m MODULE"),
        (["-m"], 2, "-m needs a module name"),
        (["-x", "prog.py"], 2, "unknown option '-x'"),
        (["missing.py"], 2, "can't open file 'missing.py'"),
        (["-m", "no_such_module_xyz"], 1, "no module named 'no_such_module_xyz'"),
    ],
)
def test_runner_usage_errors(args: list[str], code: int, says: str, tmp_path: Path) -> None:
    done = python("-m", "tinkex.as_tinker", *args, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_runner_help() -> None:
    done = python("-m", "tinkex.as_tinker", "--help")
    assert done.returncode == 0
    assert "python -m tinkex.as_tinker -m MODULE" in done.stdout
