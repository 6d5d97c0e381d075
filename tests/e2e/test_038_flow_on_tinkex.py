"""Programs written for the official tinker 0.38 run unchanged on tinkex through
`python -m tinkex.as_tinker`: the full 0.38 user flow (official_038_flow.py, the script
test_official_client_038.py runs on the official client) against `tinkex serve --backend torch`.

They run in the tinker 0.38 virtualenv (where tinker-cookbook and its imports live, and where the
official tinker 0.38 is installed, so the alias must win over it) with tinkex imported from this
checkout: PYTHONPATH names the project root and generated/ (`tinkex_pythonpath_env`); tinkex's runtime
dependencies that tinker 0.38 does not bring are pinned into that venv by the Makefile
(TINKEX_DEPS_038). Skipped without the venv (see test_official_client_038.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_official_client_038 import offline_env, tinker038_python, tinkex_serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(400)]
ROOT = Path(__file__).resolve().parents[2]
FLOW = Path(__file__).with_name("official_038_flow.py")


def tinkex_pythonpath_env(**extra: str) -> dict[str, str]:
    """The environment that makes the tinker 0.38 venv's python import tinkex from this checkout."""
    env = {**offline_env(), "TINKER_LOG": "debug", **extra}
    paths = [str(ROOT), str(ROOT / "generated"), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


# TINKER_LOG=debug: tinkex logs one line per HTTP exchange on its `tinkex` logger (the official client
# reads the same variable but logs nothing of this shape), so the program's stderr shows it ran on tinkex
TINKEX_EXCHANGE = re.compile(r"\btinkex\b[^\n]*(POST|GET) /api/v1/\S+ -> 2\d\d in ")


def assert_ran_on_tinkex(stderr: str) -> None:
    assert TINKEX_EXCHANGE.search(stderr), "no tinkex request log in the program's stderr:\n" + stderr[-3000:]


def require_tinker038() -> Path:
    python = tinker038_python()
    if python is None:
        pytest.skip("no tinker 0.38 virtualenv (make setup creates .venv-tinker038)")
    return python


def test_the_038_venv_satisfies_tinkex_runtime_dependencies() -> None:
    """tinkex runs from source there, so pyproject's `dependencies` must be installed in that venv at
    versions they accept; a new one goes into the Makefile's TINKEX_DEPS_038 (pinned)."""
    python = require_tinker038()
    from packaging.requirements import Requirement

    wanted = [
        Requirement(r)
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: out[name] = None\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run(
        [str(python), "-c", code, *(r.name for r in wanted)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    installed = json.loads(done.stdout)
    bad = {
        str(r): installed[r.name]
        for r in wanted
        if installed[r.name] is None or not r.specifier.contains(installed[r.name], prereleases=True)
    }
    assert not bad, f"add these, pinned, to TINKEX_DEPS_038 in the Makefile (installed: {bad})"


DESCRIBE_PROTO = """
import importlib, json, sys
pb = importlib.import_module(sys.argv[1])
print(json.dumps({n: {f.number: f.name for f in d.fields} for n, d in pb.DESCRIPTOR.message_types_by_name.items()}))
"""


def test_tinker_proto_stands_in_with_the_official_messages() -> None:
    """`tinker.proto.tinker_public_pb2` under the alias is tinkex's module: it must name every message and
    field of the official 0.38 one with the same numbers."""
    python = require_tinker038()
    described = []
    for module in ("tinker.proto.tinker_public_pb2", "_tinkex_lowlevel.proto.tinkex_wire_pb2"):
        done = subprocess.run(
            [str(python), "-c", DESCRIBE_PROTO, module],
            capture_output=True, text=True, timeout=60, env=tinkex_pythonpath_env(),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        described.append(json.loads(done.stdout))
    official, ours = described
    assert ours == official


def test_the_official_and_tinkex_messages_load_in_one_process() -> None:
    """Our .proto has its own file name (and package), so protobuf's default descriptor pool holds both:
    a program may import the official tinker 0.38 and tinkex side by side."""
    python = require_tinker038()
    program = (
        "import tinker.proto.tinker_public_pb2 as a, _tinkex_lowlevel.proto.tinkex_wire_pb2 as b; "
        "print(a.DESCRIPTOR.name, b.DESCRIPTOR.name)"
    )
    done = subprocess.run(
        [str(python), "-c", program], capture_output=True, text=True, timeout=60, env=tinkex_pythonpath_env()
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["tinker_public.proto", "tinkex_wire.proto"]


HARNESS_PROGRAM = """
import importlib.metadata, pathlib, sys
import tinker
import tinkex
from tinker import types
from tinker_cookbook.supervised.data import conversation_to_datum  # cookbook code that imports tinker
from tinker_cookbook import renderers

root = pathlib.Path(sys.argv[1])
assert tinker is tinkex and types is tinkex.types
# tinkex from this checkout, although the official tinker 0.38 is installed in this venv
assert pathlib.Path(tinker.__file__).is_relative_to(root / "tinkex"), tinker.__file__
assert importlib.metadata.version("tinker") == "0.38.0"
assert not any(
    "site-packages" in (getattr(m, "__file__", None) or "")
    for n, m in list(sys.modules.items()) if n == "tinker" or n.startswith("tinker.")
)
service = tinker.ServiceClient(base_url=sys.argv[2], api_key=sys.argv[3])
model = service.get_server_capabilities().supported_models[0].model_name
training = service.create_lora_training_client(base_model=model, rank=4, seed=0)
renderer = renderers.get_renderer("role_colon", training.get_tokenizer())
conversation = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
datum = conversation_to_datum(conversation, renderer, max_length=64)
assert type(datum) is tinkex.types.Datum, type(datum)
out = training.forward_backward([datum], "cross_entropy").result()
training.optim_step(types.AdamParams(learning_rate=1e-3)).result()
assert out.metrics["loss:sum"] > 0, out.metrics
service.close()
print("HARNESS OK", model, flush=True)
"""


@pytest.fixture(scope="module")
def null_server() -> Iterator[Any]:
    require_tinker038()
    from tinkex_server import LocalServer

    with LocalServer(backend="null", long_poll_s=0.5) as server:
        yield server


def test_harness_runs_tinker_programs_on_tinkex_source_in_the_038_venv(
    null_server: Any, tmp_path: Path
) -> None:
    """What the skipped tests below stand on: the 038 venv's python runs a program through
    `python -m tinkex.as_tinker` with tinkex from this checkout winning over the installed official
    0.38, tinker-cookbook's own code (its renderer, conversation_to_datum) builds tinkex types, and
    they train against a local server (the null backend, on the API tinkex has today)."""
    python = require_tinker038()
    from tinkex_server import DEFAULT_DEV_API_KEY

    program = tmp_path / "program.py"
    program.write_text(HARNESS_PROGRAM)
    proc = subprocess.run(
        [str(python), "-m", "tinkex.as_tinker", str(program), str(ROOT), null_server.base_url, DEFAULT_DEV_API_KEY],
        capture_output=True, text=True, timeout=300, env=tinkex_pythonpath_env(TINKER_TELEMETRY="0"), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "HARNESS OK" in proc.stdout
    assert_ran_on_tinkex(proc.stderr)


def test_official_038_flow_runs_unchanged_on_tinkex(tmp_path: Path) -> None:
    python = require_tinker038()
    from tinkex_server import DEFAULT_DEV_API_KEY

    with tinkex_serve("--backend", "torch", "--zstd-fwdbwd", data_dir=tmp_path / "data") as base_url:
        proc = subprocess.run(
            [str(python), "-m", "tinkex.as_tinker", str(FLOW), base_url, DEFAULT_DEV_API_KEY, "tinkex/micro-llama"],
            capture_output=True, text=True, timeout=300, env=tinkex_pythonpath_env(), cwd=tmp_path,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "FLOW038 OK" in proc.stdout
    assert_ran_on_tinkex(proc.stderr)
