"""One spec, two protocol generations: the view of openapi/tinker.yaml that one generation has.

What only tinker >= 0.38 has is marked in the document with `x-tinker-since: "0.38"` (operations,
schemas, properties, parameters, content types) or listed in `x-tinker-since-values` (enum values).
`generation_view(doc, "0.7")` drops all of it, giving the 0.7.0 protocol exactly as it was described
before 0.38 joined; the generated JSON client (scripts/gen.py) and the 0.7.0 contract tests use it.

    python scripts/spec_views.py 0.7 > /tmp/tinker-0.7.yaml

`typed_view(doc)` keeps every generation but makes what later ones added to older schemas optional
without defaults: the view `make gen` compiles, so tinkex has the types of both generations and still
sends 0.7.0's bytes unless a later field is set.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

GENERATIONS = ("0.7", "0.38")
SPEC = Path(__file__).resolve().parent.parent / "openapi" / "tinker.yaml"


def _since(node: Any) -> str | None:
    return node.get("x-tinker-since") if isinstance(node, dict) else None


def _newer(node: Any, generation: str) -> bool:
    since = _since(node)
    return since is not None and _version(since) > _version(generation)


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def generation_view(doc: dict[str, Any], generation: str) -> dict[str, Any]:
    """A copy of `doc` without what is newer than `generation` (see the module docstring).

    Example::

        view = generation_view(yaml.safe_load(SPEC.read_text()), "0.7")
        "/api/v1/client/config" in view["paths"]  # -> False
    """
    doc = copy.deepcopy(doc)
    comps = doc.get("components", {})
    dropped: set[str] = set()
    for section in ("schemas", "parameters", "responses"):
        table = comps.get(section, {})
        for name in [n for n, v in table.items() if _newer(v, generation)]:
            del table[name]
            dropped.add(f"#/components/{section}/{name}")
    for path in list(doc.get("paths", {})):
        item = doc["paths"][path]
        for method in [m for m, op in item.items() if _newer(op, generation)]:
            del item[method]
        if not any(k in item for k in ("get", "put", "post", "delete", "patch")):
            del doc["paths"][path]
    pruned: dict[str, Any] = _prune(doc, generation, dropped)
    return pruned


def typed_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of `doc` holding every generation, shaped so that code compiled from it still sends the
    oldest generation's bytes: what `make gen` compiles (models and operation table).

    Every schema, operation and enum value stays. A property a later generation added to a schema the
    oldest one already has loses its `default` and its place in `required`: its generated field
    defaults to None, and `to_dict()` leaves a None field out, so a request built without it is the
    byte-identical 0.7.0 body (tests/unit/test_types_038.py pins one). The marks stay, so the
    operation table knows each operation's generation.

    Example::

        view = typed_view(yaml.safe_load(SPEC.read_text()))
        "/api/v1/client/config" in view["paths"]  # -> True
    """
    doc = copy.deepcopy(doc)
    oldest = GENERATIONS[0]
    for schema in (doc.get("components", {}).get("schemas") or {}).values():
        if not isinstance(schema, dict) or _newer(schema, oldest):
            continue
        props = schema.get("properties") or {}
        later = [name for name, prop in props.items() if _newer(prop, oldest)]
        for name in later:
            props[name].pop("default", None)
        if later and "required" in schema:
            schema["required"] = [r for r in schema["required"] if r not in later]
    # A later parameter of an older operation has no default either: the generated functions would
    # send it on every call (an unset parameter is left out of the URL).
    for param in (doc.get("components", {}).get("parameters") or {}).values():
        if _newer(param, oldest) and isinstance(param.get("schema"), dict):
            param["schema"].pop("default", None)
    # A later operation the spec describes only to say it is refused (no 2xx: a client flag the local
    # server never turns on) has nothing to compile; the server reads it from the document itself.
    for item in (doc.get("paths") or {}).values():
        for method in [m for m, op in item.items() if _newer(op, oldest) and not _succeeds(op)]:
            del item[method]
    doc["paths"] = {p: item for p, item in (doc.get("paths") or {}).items() if _has_operation(item)}
    # The JSON client generator knows no binary bodies: later binary content types (the .proto's, which
    # protoc compiles) leave the view where a JSON one remains beside them.
    for node in _walk(doc.get("paths") or {}):
        content = node.get("content")
        if isinstance(content, dict) and len(content) > 1:
            for ctype in [c for c, v in content.items() if _newer(v, oldest) and "json" not in c]:
                del content[ctype]
    return doc


def _succeeds(op: Any) -> bool:
    return isinstance(op, dict) and any(str(code)[0] in "23" for code in op.get("responses") or {})


def _has_operation(item: Any) -> bool:
    return isinstance(item, dict) and any(k in item for k in ("get", "put", "post", "delete", "patch"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _prune(node: Any, generation: str, dropped: set[str]) -> Any:
    if isinstance(node, list):
        return [_prune(x, generation, dropped) for x in node if not _gone(x, generation, dropped)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    newer_values = {
        v for g, values in (node.get("x-tinker-since-values") or {}).items()
        if _version(g) > _version(generation) for v in values
    }  # fmt: skip
    for key, value in node.items():
        if key == "x-tinker-since-values":
            continue
        if (
            isinstance(value, dict)
            and key not in ("examples", "example", "default")
            and _gone(value, generation, dropped)
        ):
            continue
        if key == "enum" and newer_values:
            value = [v for v in value if v not in newer_values]
        out[key] = _prune(value, generation, dropped)
    if "properties" in out and "required" in out:
        out["required"] = [r for r in out["required"] if r in out["properties"]]
    for combiner in ("oneOf", "anyOf"):
        alts = out.get(combiner)
        if isinstance(alts, list) and len(alts) == 1 and set(out) <= {combiner, "description"}:
            return dict(alts[0])
    return out


def _gone(node: Any, generation: str, dropped: set[str]) -> bool:
    return _newer(node, generation) or (isinstance(node, dict) and node.get("$ref") in dropped)


def main(argv: list[str]) -> int:
    import yaml  # type: ignore[import-untyped]

    generation = argv[1] if len(argv) > 1 else "0.7"
    if generation not in (*GENERATIONS, "typed"):
        sys.exit(f"generation must be one of {GENERATIONS} or 'typed'")
    doc = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    view = typed_view(doc) if generation == "typed" else generation_view(doc, generation)
    sys.stdout.write(yaml.safe_dump(view, sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
