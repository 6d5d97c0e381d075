"""One spec, two protocol generations: the view of openapi/tinker.yaml that one generation has.

What only tinker >= 0.38 has is marked in the document with `x-tinker-since: "0.38"` (operations,
schemas, properties, parameters, content types) or listed in `x-tinker-since-values` (enum values).
`generation_view(doc, "0.7")` drops all of it, giving the 0.7.0 protocol exactly as it was described
before 0.38 joined; the generated JSON client (scripts/gen.py) and the 0.7.0 contract tests use it.

    python scripts/spec_views.py 0.7 > /tmp/tinker-0.7.yaml
"""

from __future__ import annotations

import copy
import sys
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
    if generation not in GENERATIONS:
        sys.exit(f"generation must be one of {GENERATIONS}")
    doc = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    sys.stdout.write(yaml.safe_dump(generation_view(doc, generation), sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
