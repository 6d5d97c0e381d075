"""The SDK's hand-kept operation sets agree with openapi/tinker.yaml (tests/runtime/test_endpoints_spec.py
checks the method and path of every operation).

tinkex/_runtime/_endpoints.py builds the hot-path requests without the generated client (to skip its
per-call overhead); this test is what keeps that table from drifting away from the spec.
"""

from __future__ import annotations

from tinkex._runtime._endpoints import FUTURE_OPERATIONS

from ._spec import operations, spec


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
