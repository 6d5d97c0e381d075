"""Shared helpers of the contract tests: the spec, JSON Schema validators, the official type inventory."""

from __future__ import annotations

import datetime
import functools
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pydantic
import yaml  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi" / "tinker.yaml"
SPEC_URI = "urn:tinkex:openapi"

# The official 0.7.0 names that are aliases or enums, not pydantic classes (tinker/types/*.py).
OFFICIAL_ALIASES = frozenset(
    {
        "CheckpointType",
        "EventType",
        "FutureRetrieveResponse",
        "LossFnInputs",
        "LossFnOutput",
        "LossFnType",
        "ModelID",
        "ModelInputChunk",
        "RequestErrorCategory",
        "RequestID",
        "Severity",
        "StopReason",
        "TelemetryEvent",
        "TensorDtype",
    }
)
METHODS = ("get", "put", "post", "delete", "patch")


@functools.cache
def full_spec() -> dict[str, Any]:
    """The whole document: both protocol generations (what 0.38 adds is marked x-tinker-since)."""
    with SPEC_PATH.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


@functools.cache
def spec() -> dict[str, Any]:
    """The 0.7.0 generation of the document (scripts/spec_views.py), which these tests hold to the
    official 0.7.0 types; tests/contract/test_spec_038.py covers the rest."""
    import importlib.util

    loader = importlib.util.spec_from_file_location("spec_views", ROOT / "scripts" / "spec_views.py")
    assert loader is not None
    assert loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    view: dict[str, Any] = module.generation_view(full_spec(), "0.7")
    return view


def schemas() -> dict[str, Any]:
    result: dict[str, Any] = spec()["components"]["schemas"]
    return result


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation, in document order."""
    return [
        (method, path, op)
        for path, item in spec()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


@functools.cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)
    )
    return registry


def validator(schema: dict[str, Any] | str) -> jsonschema.Draft202012Validator:
    """A validator for a component name or an inline schema (whose $refs point into the spec)."""
    if isinstance(schema, str):
        schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"}
    else:
        schema = _rebase(schema)
    return jsonschema.Draft202012Validator(
        schema, registry=_registry(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _rebase(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (f"{SPEC_URI}{v}" if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebase(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def errors(schema: dict[str, Any] | str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema).iter_errors(instance)
    ]


@functools.cache
def official_models() -> dict[str, type[pydantic.BaseModel]]:
    """Every pydantic class defined under tinker.types (0.7.0), by name."""
    import tinker.types

    found: dict[str, type[pydantic.BaseModel]] = {}
    for info in pkgutil.walk_packages(tinker.types.__path__, "tinker.types."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, pydantic.BaseModel)
                and name not in {"BaseModel", "StrictBase", "GenericModel"}
                and obj.__module__.startswith("tinker")
            ):
                found[name] = obj
    return found


def normalize(value: Any) -> Any:
    """JSON with every date-time string replaced by its parsed value (Z and +00:00 compare equal)."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def wire_problems(name: str, written: Any, original: Any) -> list[str]:
    """How `written` (what the generated type `name` writes back for the JSON `original`) differs in
    meaning from `original`; empty when there is no difference.

    The wire types write every `type` tag and the defaults of the objects they hold and leave out
    nulls (the 0.18+ client style), so the bytes may differ from a 0.7.0 body; what must hold is that
    the written JSON is valid for the spec, keeps every non-null key of the original, and decodes to
    the same object.
    """
    import _tinkex_lowlevel.models as models

    problems = errors(name, written)
    if isinstance(original, dict):
        kept = written if isinstance(written, dict) else {}
        problems += [
            f"{key}: dropped" for key, value in original.items() if value is not None and key not in kept
        ]
    cls = getattr(models, name)
    if isinstance(cls, type) and cls.from_dict(written) != cls.from_dict(original):
        problems.append(f"decodes differently: {cls.from_dict(written)!r} != {cls.from_dict(original)!r}")
    return problems
