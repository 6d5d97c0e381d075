"""The generated operation table (`_tinkex_lowlevel.operations`, written by scripts/gen_operations.py)
says what openapi/tinker.yaml says, and the runtime decisions it drives hold: which operations answer
with a future, which 409s are retried, which pool carries what, how paths are escaped, and that a spec
the table cannot express is refused with a message naming the fix."""

from __future__ import annotations

import copy
import importlib.util
from typing import Any

import pytest
from _tinkex_lowlevel import lowlevel, operations
from _tinkex_lowlevel.operations import OPERATIONS as ALL_OPERATIONS

from tinkex._config import PoolSizes

from ._spec import METHODS, ROOT, full_spec, spec
from ._spec import operations as spec_operations

# The table holds both generations; these tests hold its 0.7.0 operations to the 0.7.0 view.
OPERATIONS = {op_id: op for op_id, op in ALL_OPERATIONS.items() if op.since == "0.7"}

_loader = importlib.util.spec_from_file_location("gen_operations", ROOT / "scripts" / "gen_operations.py")
assert _loader is not None
assert _loader.loader is not None
gen_operations = importlib.util.module_from_spec(_loader)
_loader.loader.exec_module(gen_operations)


def test_every_spec_operation_is_in_the_table_with_its_method_and_path() -> None:
    from_spec = {op["operationId"]: (method.upper(), path) for method, path, op in spec_operations()}
    assert {op_id: (op.method, op.path) for op_id, op in OPERATIONS.items()} == from_spec
    for op_id, op in OPERATIONS.items():
        assert getattr(operations, op_id) is op  # the typed handle: ops.<operationId>


def test_later_operations_are_in_the_table_knowing_their_generation() -> None:
    later = {
        op["operationId"]: (method.upper(), path, op["x-tinker-since"])
        for path, item in full_spec()["paths"].items()
        for method, op in item.items()
        if method in METHODS
        and op.get("x-tinker-since")
        # described only to be refused (no 2xx): nothing for a client to call
        and any(str(code)[0] in "23" for code in op["responses"])
    }
    table = {
        op_id: (op.method, op.path, op.since) for op_id, op in ALL_OPERATIONS.items() if op.since != "0.7"
    }
    assert table == later
    assert {"session_finish", "set_checkpoint_ttl", "client_config", "search_sessions"} <= set(table)
    assert set(ALL_OPERATIONS) == set(OPERATIONS) | set(table)


def test_futures_are_the_operations_whose_success_is_an_untyped_future() -> None:
    future_ops = set()
    for _method, _path, op in spec_operations():
        ok = op["responses"].get("200", {})
        if "$ref" in ok:  # a shared response component
            ok = spec()["components"]["responses"][ok["$ref"].rsplit("/", 1)[-1]]
        body = ok.get("content", {}).get("application/json", {})
        if body.get("schema", {}).get("$ref", "").endswith("/UntypedAPIFuture"):
            future_ops.add(op["operationId"])
    assert future_ops == {op_id for op_id, op in OPERATIONS.items() if op.returns_future}
    for op_id in future_ops:
        op = OPERATIONS[op_id]
        assert op.response_model == "UntypedAPIFuture"
        assert op.future_result_type in spec()["components"]["schemas"], op_id
    # The 0.7.0 client's X-Tinker-Request-Type of a forward_backward poll.
    assert operations.forward_backward.future_request_type == "ForwardBackward"
    assert operations.asample.future_request_type == "Sample"


def test_409_is_retried_only_where_the_server_deduplicates() -> None:
    conflict = {op_id for op_id, op in OPERATIONS.items() if op.retry == "conflict"}
    # Training calls are deduplicated by seq_id / model_seq_id / idempotency key: a 409 means "in flight".
    assert {"forward_backward", "optim_step", "create_model", "create_session"} <= conflict
    # Publish/unpublish/delete answer 409 for "already in that state": retrying only costs minutes.
    assert not conflict & {"publish_checkpoint", "unpublish_checkpoint", "delete_checkpoint", "asample"}
    # Loops of the SDK own these retries (heartbeat lease, the long-poll).
    assert {op_id for op_id, op in OPERATIONS.items() if op.retry == "none"} == {
        "session_heartbeat",
        "retrieve_future",
    }


def test_pools_are_pool_sizes_fields_and_hot_paths_have_their_own() -> None:
    fields = {a.name for a in PoolSizes.__attrs_attrs__}
    assert {op.pool for op in OPERATIONS.values()} <= fields
    assert operations.asample.pool == "sampling"
    assert operations.retrieve_future.pool == "futures"
    assert operations.session_heartbeat.pool == "session"
    assert operations.send_telemetry.pool == "telemetry"
    assert operations.forward_backward.pool == "training"


def test_every_non_get_operation_sends_an_idempotency_key() -> None:
    for op_id, op in OPERATIONS.items():
        assert op.idempotency_key == (op.method != "GET"), op_id


def test_body_and_content_types() -> None:
    assert operations.forward_backward.request_type == "ForwardBackwardRequest"
    assert operations.forward_backward.request_content_type == "application/json"
    assert operations.list_training_runs.request_type is None
    assert operations.list_training_runs.query_params == (
        "limit",
        "offset",
        "access_scope",
        "project_id",
    )  # + 0.38
    assert operations.delete_checkpoint.response_type is None
    assert operations.delete_checkpoint.success_statuses == (204,)
    assert operations.get_checkpoint_archive_url.success_statuses == (302,)
    # A union (anyOf) has no model class: its answer stays JSON.
    assert operations.retrieve_future.response_model is None


@pytest.mark.parametrize(
    ("op", "params", "path"),
    [
        (operations.get_training_run, {"training_run_id": "s:train:0"}, "/api/v1/training_runs/s:train:0"),
        (
            operations.publish_checkpoint,
            {"training_run_id": "r", "checkpoint_kind": "sampler_weights", "checkpoint_name": "x"},
            "/api/v1/training_runs/r/checkpoints/sampler_weights/x/publish",
        ),
        (operations.get_sampler, {"sampler_id": "s:sample:0"}, "/api/v1/samplers/s:sample:0"),
        # Escaped: a parameter can never reach another path.
        (operations.get_session, {"session_id": "a b/c?"}, "/api/v1/sessions/a%20b%2Fc%3F"),
        (operations.healthz, {}, "/api/v1/healthz"),
    ],
)
def test_build_path(op: operations.Operation, params: dict[str, str], path: str) -> None:
    assert op.build_path(params) == path


def test_build_path_names_a_missing_parameter() -> None:
    with pytest.raises(TypeError, match="get_session: path parameter 'session_id'"):
        operations.get_session.build_path({})


def test_descriptors_are_frozen() -> None:
    with pytest.raises(AttributeError):
        operations.asample.pool = "training"  # type: ignore[misc]


def test_lowlevel_has_a_sync_and_an_async_method_per_operation() -> None:
    cls = lowlevel.LowLevelOperations
    for op_id in OPERATIONS:
        assert callable(getattr(cls, op_id)), op_id
        assert callable(getattr(cls, f"{op_id}_async")), op_id


def _broken(mutate: Any) -> str:
    doc = copy.deepcopy(dict(spec()))
    mutate(doc)
    with pytest.raises(gen_operations.SpecError) as info:
        gen_operations.render(doc)
    return str(info.value)


def test_a_spec_the_table_cannot_express_is_refused_naming_the_fix() -> None:
    def bad_pool(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/asample"]["post"]["x-tinkex-pool"] = "gpu"

    def bad_id(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/asample"]["post"]["operationId"] = "aSample"

    def twice(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/asample"]["post"]["operationId"] = "forward"

    assert "POST /api/v1/asample: x-tinkex-pool must be one of" in _broken(bad_pool)
    assert "operationId must be snake_case" in _broken(bad_id)
    assert "'forward' is reserved or used twice" in _broken(twice)


def test_rendering_is_deterministic() -> None:
    assert gen_operations.render(spec()) == gen_operations.render(copy.deepcopy(dict(spec())))


def test_runtime_base_url_default_is_the_spec_server() -> None:
    from tinkex._config import DEFAULT_BASE_URL

    assert spec()["servers"][0]["url"].rstrip("/") == DEFAULT_BASE_URL.rstrip("/")
