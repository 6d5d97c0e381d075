"""Capture the type facts of the official tinker 0.38.0 SDK into a committed fixture, so the contract
tests can hold openapi/tinker.yaml to them without installing 0.38 next to 0.7.0.

    .venv-tinker038/bin/python scripts/capture_tinker038_types.py > tests/contract/fixtures/tinker-0.38-types.json

For every public class of `tinker.types`: its kind (pydantic model or dataclass), its public fields in
order, and which are required. Facts only (names and required-ness), nothing of the SDK's code.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys


def main() -> int:
    import tinker
    import tinker.types as types

    out: dict[str, object] = {"tinker_version": tinker.__version__, "types": {}}
    table: dict[str, object] = {}
    for name in sorted(dir(types)):
        cls = getattr(types, name)
        if name.startswith("_") or not inspect.isclass(cls):
            continue
        if hasattr(cls, "model_fields"):
            fields = {f: info.is_required() for f, info in cls.model_fields.items()}
            kind = "pydantic"
        elif dataclasses.is_dataclass(cls):
            fields = {
                f.name: f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                for f in dataclasses.fields(cls)
                if not f.name.startswith("_")
            }
            kind = "dataclass"
        else:
            continue
        table[name] = {
            "kind": kind,
            "fields": list(fields),
            "required": sorted(k for k, v in fields.items() if v),
        }
    out["types"] = table
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
