"""The local server answers exactly the spec's operations: the table `make gen` compiles out of
openapi/tinker.yaml (its 0.7.0 view) plus the operations only tinker >= 0.38 sends (`x-tinker-since`),
read from the same document, each by a handler named by its operationId."""

from __future__ import annotations

import inspect

import yaml  # type: ignore[import-untyped]
from _tinkex_lowlevel.operations import OPERATIONS

from tinkex_server import _app, _v038
from tinkex_server._validation import SpecValidator, find_spec

_VERBS = ("get", "post", "put", "delete", "patch")


class _Core:
    """What _route_table reads of a ServerCore."""

    validator = SpecValidator.load(find_spec())


def _spec_operations() -> dict[str, tuple[str, str]]:
    path = find_spec()
    assert path is not None
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        op["operationId"]: (method.upper(), p)
        for p, item in doc["paths"].items()
        for method, op in item.items()
        if method in _VERBS
    }


def test_routes_are_every_operation_of_the_spec_both_generations() -> None:
    table = {op_id: (method, path) for op_id, method, path, _body in _app._route_table(_Core())}  # type: ignore[arg-type]
    spec = _spec_operations()
    del spec["healthz"]  # served outside the operation wrapper
    assert table == spec
    # The generated table (what the SDK sends through) holds both generations, each operation knowing
    # its own; the 0.38 ones described only to be refused (no 2xx) come from the spec alone.
    assert set(OPERATIONS) < set(spec) | {"healthz"}
    assert "client_config" in table
    assert OPERATIONS["client_config"].since == "0.38"
    assert "auth_token" in table
    assert "auth_token" not in OPERATIONS


def test_every_spec_operation_has_a_handler() -> None:
    missing = [
        op_id
        for op_id in _spec_operations()
        if not inspect.iscoroutinefunction(getattr(_app._Routes, op_id, None))
        and not inspect.iscoroutinefunction(getattr(_v038.V038Routes, op_id, None))
        and op_id not in _v038.NOT_OFFERED
    ]
    assert missing == []


def test_bodies_are_read_exactly_where_the_spec_declares_one() -> None:
    for op_id, _method, _path, has_body in _app._route_table(_Core()):  # type: ignore[arg-type]
        if op_id in OPERATIONS:
            assert has_body == (OPERATIONS[op_id].request_type is not None), op_id
