"""No operation id or API path is spelled in tinkex/: they come from the generated operation table, so a
spec edit plus `make gen` is the whole change. (tinkex/types, the public wire types, is the types half
of issue 9 and not scanned here; docstrings and `__all__` may name functions that share an id.)"""

from __future__ import annotations

import ast
from pathlib import Path

from _tinkex_lowlevel.operations import OPERATIONS

from ._spec import ROOT


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _all_lists(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            found.update(id(c) for c in ast.walk(node.value))
    return found


def wire_literals(root: Path) -> list[str]:
    ids = set(OPERATIONS)
    found = []
    for path in sorted(root.rglob("*.py")):
        if "types" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree) | _all_lists(tree)
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
            if text is not None and id(node) not in skip and (text in ids or "/api/v1" in text):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {text!r}")
    return found


def test_tinkex_spells_no_operation_id_or_api_path() -> None:
    assert wire_literals(ROOT / "tinkex") == []


def test_the_scan_finds_a_spelled_operation(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text('CALL = ("forward_backward", "/api/v1/forward_backward")\n')
    assert len(wire_literals(tmp_path)) == 2
