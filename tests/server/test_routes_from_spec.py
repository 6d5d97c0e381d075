"""The local server answers exactly the spec's operations, routed from the table `make gen` compiles out
of openapi/tinker.yaml (plus the named later-SDK route), each by a handler named by its operationId."""

from __future__ import annotations

import inspect

from _tinkex_lowlevel.operations import OPERATIONS

from tinkex_server import _app


def test_routes_are_the_spec_operations_plus_the_named_later_ones() -> None:
    table = {op_id: (method, path) for op_id, method, path, _body in _app._route_table()}
    spec = {
        op.operation_id: (op.method, op.path) for op in OPERATIONS.values() if op.operation_id != "healthz"
    }
    later = {op_id: (m, path) for op_id, (m, path, _body) in _app._LATER_OPERATIONS.items()}
    assert table == {**spec, **later}
    assert not set(later) & set(OPERATIONS)  # a later route the spec gains is routed from the spec


def test_every_spec_operation_has_a_handler() -> None:
    missing = [
        op_id for op_id in OPERATIONS if not inspect.iscoroutinefunction(getattr(_app._Routes, op_id, None))
    ]
    assert missing == []


def test_bodies_are_read_exactly_where_the_spec_declares_one() -> None:
    for op_id, _method, _path, has_body in _app._route_table():
        if op_id in OPERATIONS:
            assert has_body == (OPERATIONS[op_id].request_type is not None), op_id
