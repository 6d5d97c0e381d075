"""The SDK's hand-kept endpoint table says exactly what openapi/tinker.yaml says.

tinkex/_runtime/_endpoints.py builds the hot-path requests without the generated client (to skip its
per-call overhead); this test is what keeps that table from drifting away from the spec.
"""

from __future__ import annotations

from tinkex._runtime._endpoints import ENDPOINTS, FUTURE_OPERATIONS

from ._spec import operations, spec


def spec_table() -> dict[str, tuple[str, str]]:
    return {op["operationId"]: (method.upper(), path) for method, path, op in operations()}


def test_every_spec_operation_is_in_the_runtime_table_with_the_same_method_and_path() -> None:
    assert spec_table() == ENDPOINTS


def test_future_operations_are_those_whose_success_is_an_untyped_future() -> None:
    future_ops = set()
    for _method, _path, op in operations():
        ok = op["responses"].get("200", {})
        if "$ref" in ok:  # a shared response component
            ok = spec()["components"]["responses"][ok["$ref"].rsplit("/", 1)[-1]]
        body = ok.get("content", {}).get("application/json", {})
        if body.get("schema", {}).get("$ref", "").endswith("/UntypedAPIFuture"):
            future_ops.add(op["operationId"])
    assert future_ops == set(FUTURE_OPERATIONS)


def test_runtime_base_url_default_is_the_spec_server() -> None:
    from tinkex._config import DEFAULT_BASE_URL

    assert spec()["servers"][0]["url"].rstrip("/") == DEFAULT_BASE_URL.rstrip("/")
