"""Every operation is reachable through the generated client and sends what the spec says (pytest-httpx)."""

from __future__ import annotations

import importlib
from typing import Any

import _tinkex_lowlevel.models as models
import httpx
import orjson
import pytest
from _tinkex_lowlevel import errors
from _tinkex_lowlevel.api.rest import get_training_run
from _tinkex_lowlevel.api.service import healthz
from _tinkex_lowlevel.api.weights import get_checkpoint_archive_url, list_user_checkpoints
from _tinkex_lowlevel.client import DEFAULT_TIMEOUT, AuthenticatedClient
from _tinkex_lowlevel.models.checkpoint_kind import check_checkpoint_kind
from pytest_httpx import HTTPXMock

from ._spec import operations, schemas, wire_problems

BASE = "https://tinker.test/services/tinker-prod"
KEY = "tml-contract-test-key"
PATH_VALUES = {
    "training_run_id": "run-abc:train:0",
    "checkpoint_kind": "weights",
    "checkpoint_name": "ckpt-1",
    "session_id": "sess-1",
    "sampler_id": "sess-1:sample:0",
}
HEADER_VALUES: dict[str, tuple[str, Any, str]] = {
    # header name: (python argument, value passed, value expected on the wire)
    "X-Idempotency-Key": ("x_idempotency_key", "idem-1", "idem-1"),
    "X-Tinker-Request-Iteration": ("x_tinker_request_iteration", 0, "0"),
    "X-Tinker-Request-Type": ("x_tinker_request_type", "ForwardBackward", "ForwardBackward"),
    "X-Tinker-Create-Promise-Roundtrip-Time": ("x_tinker_create_promise_roundtrip_time", 0.25, "0.25"),
    "X-Tinker-Sampling-Backpressure": ("x_tinker_sampling_backpressure", "1", "1"),
}


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[1]


def _parameters(op: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for param in op.get("parameters", []):
        if "$ref" in param:
            from ._spec import spec

            param = spec()["components"]["parameters"][_ref_name(param)]
        params.append(param)
    return params


def _success(op: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    from ._spec import spec

    code, response = next((c, r) for c, r in op["responses"].items() if c.startswith(("2", "3")))
    if "$ref" in response:
        response = spec()["components"]["responses"][_ref_name(response)]
    return int(code), response


def _cases() -> list[Any]:
    return [pytest.param(method, path, op, id=op["operationId"]) for method, path, op in operations()]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("method", "path", "op"), _cases())
async def test_operation_sends_what_the_spec_says(
    httpx_mock: HTTPXMock, method: str, path: str, op: dict[str, Any], mode: str
) -> None:
    module = importlib.import_module(f"_tinkex_lowlevel.api.{op['tags'][0]}.{op['operationId']}")
    kwargs: dict[str, Any] = {}
    expected_path = path
    expected_query: dict[str, str] = {}
    expected_headers: dict[str, str] = {}
    for param in _parameters(op):
        name = param["name"]
        if param["in"] == "path":
            kwargs[name] = PATH_VALUES[name]
            expected_path = expected_path.replace("{" + name + "}", PATH_VALUES[name])
        elif param["in"] == "query":
            expected_query[name] = str(param["schema"]["default"])
        elif param["in"] == "header":
            argument, value, wire = HEADER_VALUES[name]
            kwargs[argument] = value
            expected_headers[name] = wire
    body_example = None
    if "requestBody" in op:
        body_schema = op["requestBody"]["content"]["application/json"]["schema"]
        body_example = schemas()[_ref_name(body_schema)]["examples"][0]
        kwargs["body"] = getattr(models, _ref_name(body_schema)).from_dict(body_example)

    status, response = _success(op)
    reply_headers = {"Location": "https://storage.test/a.tar", "Expires": "Wed, 03 Dec 2025 01:15:00 GMT"}
    content = response.get("content", {}).get("application/json")
    reply_example = schemas()[_ref_name(content["schema"])]["examples"][0] if content else None
    if reply_example is not None:
        httpx_mock.add_response(status_code=status, json=reply_example)
    else:
        httpx_mock.add_response(status_code=status, headers=reply_headers if status == 302 else {})

    async with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        if mode == "sync":
            with AuthenticatedClient(base_url=BASE, token=KEY) as sync_client:
                result = module.sync_detailed(client=sync_client, **kwargs)
        else:
            result = await module.asyncio_detailed(client=client, **kwargs)

    request = httpx_mock.get_request()
    assert request is not None
    assert request.method == method.upper()
    # Path parameters are inserted verbatim: ":" stays, the checkpoint id's "/" is two segments.
    assert request.url.raw_path.decode().split("?")[0] == "/services/tinker-prod" + expected_path
    assert dict(request.url.params) == expected_query
    assert request.headers["X-API-Key"] == KEY
    assert "Authorization" not in request.headers
    for name, wire in expected_headers.items():
        assert request.headers[name] == wire
    if body_example is not None:
        assert request.headers["Content-Type"] == "application/json"
        assert wire_problems(_ref_name(body_schema), orjson.loads(request.content), body_example) == []
    else:
        assert request.content == b""

    assert result.status_code == status
    if reply_example is not None:
        assert result.parsed is not None
        reply_schema = _ref_name(content["schema"])
        if isinstance(getattr(models, reply_schema, None), type):
            assert wire_problems(reply_schema, result.parsed.to_dict(), reply_example) == []
        else:  # a union (retrieve_future): the member it decoded as
            assert wire_problems(type(result.parsed).__name__, result.parsed.to_dict(), reply_example) == []
    else:
        assert result.parsed is None


def test_checkpoint_urls_are_exactly_what_the_official_client_sends(httpx_mock: HTTPXMock) -> None:
    # Observed from tinker 0.6.3/0.7.0: GET /api/v1/training_runs/run-abc/checkpoints/weights/ckpt-1/archive
    httpx_mock.add_response(status_code=302, headers={"Location": "https://storage.test/x.tar"})
    with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        kind, name = "weights/ckpt-1".split("/")  # noqa: SIM905 - how a caller splits a checkpoint_id
        result = get_checkpoint_archive_url.sync_detailed(
            "run-abc", check_checkpoint_kind(kind), name, client=client
        )
    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url) == f"{BASE}/api/v1/training_runs/run-abc/checkpoints/weights/ckpt-1/archive"
    # The 302 is returned, not followed: the Location is the caller's to fetch with a bare client.
    assert result.status_code == 302
    assert result.headers["location"] == "https://storage.test/x.tar"
    assert len(httpx_mock.get_requests()) == 1


def test_api_key_never_crosses_to_another_host_even_when_following_redirects(httpx_mock: HTTPXMock) -> None:
    archive = f"{BASE}/api/v1/training_runs/run-1/checkpoints/sampler_weights/s1/archive"
    httpx_mock.add_response(url=archive, status_code=302, headers={"Location": "https://storage.test/s1.tar"})
    httpx_mock.add_response(url="https://storage.test/s1.tar", status_code=200, content=b"tar")
    with AuthenticatedClient(base_url=BASE, token=KEY, follow_redirects=True) as client:
        get_checkpoint_archive_url.sync_detailed("run-1", "sampler_weights", "s1", client=client)
    first, second = httpx_mock.get_requests()
    assert first.headers["X-API-Key"] == KEY
    assert second.url.host == "storage.test"
    assert "X-API-Key" not in second.headers


def test_api_key_follows_a_same_origin_redirect(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/api/v1/healthz", status_code=307, headers={"Location": f"{BASE}/api/v1/healthz2"}
    )
    httpx_mock.add_response(url=f"{BASE}/api/v1/healthz2", json={"status": "ok"})
    with AuthenticatedClient(base_url=BASE, token=KEY, follow_redirects=True) as client:
        healthz.sync_detailed(client=client)
    assert [r.headers.get("X-API-Key") for r in httpx_mock.get_requests()] == [KEY, KEY]


def test_client_defaults_are_safe() -> None:
    headers = {"User-Agent": "test"}
    client = AuthenticatedClient(base_url=BASE, token=KEY, headers=headers)
    httpx_client = client.get_httpx_client()
    assert httpx_client.timeout == DEFAULT_TIMEOUT == httpx.Timeout(60.0, connect=5.0)
    assert httpx_client.follow_redirects is False
    assert headers == {"User-Agent": "test"}, "the caller's headers dict must not be mutated"
    assert "X-API-Key" not in httpx_client.headers, "the key is added per request, by origin"
    copy = client.with_headers({"X-Extra": "1"})
    assert "X-Extra" not in httpx_client.headers, "with_headers must not touch the original's live client"
    assert copy.get_httpx_client().headers["X-Extra"] == "1"
    httpx_client.close()
    copy.get_httpx_client().close()


@pytest.mark.parametrize("status", [529, 599, 520, 503])
def test_non_iana_and_non_json_error_statuses_never_crash(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status, content=b"<html>upstream overloaded</html>")
    with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        result = healthz.sync_detailed(client=client)
    assert result.status_code == status
    assert result.parsed is None


def test_undocumented_status_raises_only_when_asked_and_without_the_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=499, content=b"secret-ish body " * 100)
    httpx_mock.add_response(status_code=499, content=b"secret-ish body " * 100)
    with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        assert healthz.sync_detailed(client=client).parsed is None
    with (
        AuthenticatedClient(base_url=BASE, token=KEY, raise_on_unexpected_status=True) as client,
        pytest.raises(errors.UnexpectedStatus) as caught,
    ):
        healthz.sync_detailed(client=client)
    assert caught.value.status_code == 499
    assert "secret-ish" not in str(caught.value)


def test_error_bodies_parse_as_error_response(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"detail": "Training run not found"})
    with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        result = get_training_run.sync_detailed("missing", client=client)
    assert isinstance(result.parsed, models.ErrorResponse)
    assert result.parsed.detail == "Training run not found"


def test_query_defaults_and_explicit_pages(httpx_mock: HTTPXMock) -> None:
    page = {"checkpoints": [], "cursor": {"offset": 100, "limit": 50, "total_count": 120}}
    httpx_mock.add_response(json=page)
    with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        result = list_user_checkpoints.sync_detailed(client=client, limit=50, offset=100)
    request = httpx_mock.get_request()
    assert request is not None
    assert dict(request.url.params) == {"limit": "50", "offset": "100"}
    assert isinstance(result.parsed, models.CheckpointsListResponse)


def test_numpy_arrays_in_a_body_are_encoded_by_orjson(httpx_mock: HTTPXMock) -> None:
    import numpy as np
    from _tinkex_lowlevel.api.training import forward_backward

    httpx_mock.add_response(json={"request_id": "r"})
    inputs = {
        "target_tokens": models.TensorData(data=np.arange(3, dtype=np.int64), dtype="int64", shape=[3]),
        "weights": models.TensorData(data=np.ones(3, dtype=np.float32), dtype="float32", shape=[3]),
    }
    datum = models.Datum(
        loss_fn_inputs=inputs,
        model_input=models.ModelInput(chunks=[models.EncodedTextChunk(tokens=[1, 2, 3])]),
    )
    body = models.ForwardBackwardRequest(
        forward_backward_input=models.ForwardBackwardInput(data=[datum], loss_fn="cross_entropy"),
        model_id="m",
    )
    with AuthenticatedClient(base_url=BASE, token=KEY) as client:
        forward_backward.sync_detailed(client=client, body=body)
    request = httpx_mock.get_request()
    assert request is not None
    sent = orjson.loads(request.content)["forward_backward_input"]["data"][0]["loss_fn_inputs"]
    assert sent["target_tokens"]["data"] == [0, 1, 2]
    assert sent["weights"]["data"] == [1.0, 1.0, 1.0]
