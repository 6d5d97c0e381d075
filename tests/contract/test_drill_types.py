"""The drill of issue 9 (types half): a new optional field in the spec reaches the public types through
`make gen` alone, with no hand edit anywhere else.

On a temporary copy of the repository, one optional field is added to a request schema
(`SamplingParams`) and one to a response schema (`GetInfoResponse`); then `scripts/gen.py` (what
`make gen` runs) regenerates the package, and a fresh interpreter importing the copy must send the
request field on the wire and read the response field.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
# What generation and `import tinkex.types` need; nothing else of the repository is copied.
COPIED = ["openapi", "templates", "scripts", "generated", "tinkex", "pyproject.toml"]

CHECK = r"""
import inspect, json, sys
import _tinkex_lowlevel
import tinkex.types as t

assert t.__file__.startswith(sys.argv[1]), t.__file__
assert _tinkex_lowlevel.__file__.startswith(sys.argv[1]), _tinkex_lowlevel.__file__
params = t.SamplingParams(max_tokens=4, drill_patience=3)
assert "drill_patience" in inspect.signature(t.SamplingParams).parameters
assert t.SamplingParams().drill_patience is None
info = t.GetInfoResponse.from_dict(
    {"model_data": {"model_name": "m"}, "model_id": "r", "drill_region": "eu-1", "unknown": 1}
)
print(json.dumps({"wire": params.to_dict(), "region": info.drill_region}))
"""


def _add_fields(spec_path: Path) -> None:
    spec: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    schemas["SamplingParams"]["properties"]["drill_patience"] = {
        "type": ["integer", "null"],
        "default": None,
        "description": "A request field added by the drill.",
    }
    schemas["GetInfoResponse"]["properties"]["drill_region"] = {
        "type": ["string", "null"],
        "default": None,
        "description": "A response field added by the drill.",
    }
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.timeout(240)
def test_new_optional_fields_reach_the_public_types_through_gen_alone(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, copy / name)
    _add_fields(copy / "openapi" / "tinker.yaml")

    gen = subprocess.run(
        [sys.executable, str(copy / "scripts" / "gen.py")], capture_output=True, text=True, timeout=180
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(copy), str(copy / "generated")]))
    run = subprocess.run(
        [sys.executable, "-c", CHECK, str(copy)],
        capture_output=True,
        text=True,
        env=env,
        cwd=copy,  # `-c` puts the working directory first on sys.path
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # The request field is a keyword of the public type and is sent on the wire.
    assert result["wire"] == {
        "max_tokens": 4,
        "drill_patience": 3,
        "temperature": 1.0,
        "top_k": -1,
        "top_p": 1.0,
    }
    # The response field is read into the public type.
    assert result["region"] == "eu-1"
