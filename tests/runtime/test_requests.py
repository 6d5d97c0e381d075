"""HTTP behaviour through the real stack (httpx.MockTransport): retries, Retry-After, connection
resets, idempotency keys, headers, error mapping and secret hygiene."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import SDKEvent, ServiceClient

KEY = "tml-test-key-123456"


def test_5xx_burst_is_retried_with_one_idempotency_key(server: FakeTinker, client: ServiceClient) -> None:
    server.script("create_session", json_response(503), json_response(500), json_response(502))
    server.script("get_server_capabilities")  # nothing: default
    client.create_sampling_client(base_model="tiny-model")
    attempts = server.ops("create_session")
    assert len(attempts) == 4
    assert [a.headers["x-stainless-retry-count"] for a in attempts] == ["0", "1", "2", "3"]
    keys = {a.headers["x-idempotency-key"] for a in attempts}
    assert len(keys) == 1  # one logical call, one key across its retries
    other = server.ops("create_sampling_session")[0].headers["x-idempotency-key"]
    assert other not in keys  # a new logical call gets a new key


def test_429_honours_retry_after(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append])
    server.script(
        "get_server_capabilities", json_response(429, {"detail": "slow down"}, {"Retry-After": "2"})
    )
    server.script("get_server_capabilities", json_response(429, None, {"retry-after-ms": "300"}))
    caps = client.get_server_capabilities()
    assert caps.supported_models[0].model_name == "tiny-model"
    delays = [e.attributes["delay_s"] for e in events if e.kind == "retry"]
    assert delays == [2.0, 0.3]


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected mid-response"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("read timed out"),
    ],
)
def test_connection_errors_mid_request_are_retried(
    server: FakeTinker, client: ServiceClient, fault: Exception
) -> None:
    server.script("get_server_capabilities", fault, fault)
    assert client.get_server_capabilities().supported_models
    assert len(server.ops("get_server_capabilities")) == 3


def test_connection_errors_exhausted_raise_chained_api_connection_error(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(max_retries=2)
    server.script("get_server_capabilities", *[httpx.ReadError("reset")] * 3)
    with pytest.raises(tinkex.APIConnectionError) as info:
        client.get_server_capabilities()
    assert isinstance(info.value.__cause__, httpx.ReadError)
    assert len(server.ops("get_server_capabilities")) == 3


def test_timeout_is_api_timeout_error_and_builtin_timeout(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(max_retries=0)
    server.script("get_server_capabilities", httpx.ReadTimeout("slow"))
    with pytest.raises(TimeoutError) as info:
        client.get_server_capabilities()
    assert isinstance(info.value, tinkex.APITimeoutError)


def test_retries_exhausted_on_5xx(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    client = make_client(max_retries=2)
    server.script("get_server_capabilities", *[json_response(503, {"detail": "down"})] * 3)
    with pytest.raises(tinkex.InternalServerError) as info:
        client.get_server_capabilities()
    assert info.value.status_code == 503
    assert len(server.ops("get_server_capabilities")) == 3


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, tinkex.BadRequestError),
        (401, tinkex.AuthenticationError),
        (403, tinkex.PermissionDeniedError),
        (404, tinkex.NotFoundError),
        (422, tinkex.UnprocessableEntityError),
    ],
)
def test_4xx_is_never_retried(
    server: FakeTinker, client: ServiceClient, status: int, exc: type[Exception]
) -> None:
    server.script(
        "get_server_capabilities", json_response(status, {"detail": f"nope, your key {KEY} is wrong"})
    )
    with pytest.raises(exc) as info:
        client.get_server_capabilities()
    assert len(server.ops("get_server_capabilities")) == 1
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)


def test_x_should_retry_false_stops_retries(server: FakeTinker, client: ServiceClient) -> None:
    server.script("get_server_capabilities", json_response(503, None, {"x-should-retry": "false"}))
    with pytest.raises(tinkex.InternalServerError):
        client.get_server_capabilities()
    assert len(server.ops("get_server_capabilities")) == 1


def test_headers_on_every_request(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    client = make_client(
        cloudflare_access_client_id="cf-id", cloudflare_access_client_secret="cf-secret-value"
    )
    client.create_sampling_client(base_model="tiny-model")
    get = server.ops("get_server_capabilities")
    client.get_server_capabilities()
    for call in server.calls:
        assert call.headers["x-api-key"] == KEY
        assert call.headers["user-agent"] == f"tinkex/{tinkex.__version__}"
        assert call.headers["cf-access-client-id"] == "cf-id"
        assert call.headers["cf-access-client-secret"] == "cf-secret-value"
        assert call.headers["accept"] == "application/json"
    get = server.ops("get_server_capabilities")
    assert "content-type" not in get[0].headers
    assert "x-idempotency-key" not in get[0].headers
    post = server.ops("create_session")[0]
    assert post.headers["content-type"] == "application/json"
    assert post.headers["x-idempotency-key"]


def test_secret_not_in_repr_or_logs(
    server: FakeTinker, client: ServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="tinkex")
    client.create_sampling_client(base_model="tiny-model")
    assert KEY not in repr(client)
    assert KEY not in repr(client.config)
    assert KEY not in caplog.text


def test_event_hook_that_raises_never_breaks_a_call(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    def bad_hook(event: SDKEvent) -> None:
        raise RuntimeError("hook bug")

    seen: list[SDKEvent] = []
    client = make_client(event_hooks=[bad_hook])
    client.add_event_hook(seen.append)
    assert client.get_server_capabilities().supported_models
    assert any(e.kind == "request" and e.operation == "get_server_capabilities" for e in seen)
    request = next(e for e in seen if e.kind == "request")
    assert request.attributes["status"] == 200
    assert request.attributes["duration_s"] >= 0


def test_numpy_arrays_are_encoded_without_list_conversion(server: FakeTinker, client: ServiceClient) -> None:
    np = pytest.importorskip("numpy")
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    datum = tinkex.types.Datum(
        model_input=tinkex.types.ModelInput.from_ints([1, 2, 3]),
        loss_fn_inputs={"target_tokens": np.array([2, 3, 4]), "weights": np.ones(3, dtype=np.float32)},
    )
    tc.forward_backward([datum], "cross_entropy").result(timeout=10)
    body: Any = server.ops("forward_backward")[0].body
    inputs = body["forward_backward_input"]["data"][0]["loss_fn_inputs"]
    assert inputs["target_tokens"]["data"] == [2, 3, 4]
    assert inputs["weights"] == {"data": [1.0, 1.0, 1.0], "dtype": "float32", "shape": [3]}


def test_encode_json_handles_odd_arrays_via_fallback() -> None:
    np = pytest.importorskip("numpy")
    from tinkex._runtime._transport import decode_json, encode_json

    body = {
        "transposed": np.arange(6, dtype=np.float32).reshape(2, 3).T,  # not C-contiguous
        "half": np.ones(2, dtype=np.float16),
        "scalar": np.float32(1.5),
        "ints": np.arange(3, dtype=np.int64),
    }
    assert decode_json(encode_json(body)) == {
        "transposed": [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]],
        "half": [1.0, 1.0],
        "scalar": 1.5,
        "ints": [0, 1, 2],
    }
    assert decode_json(b"") is None
    assert decode_json(b"not json") == "not json"


# -- malformed replies: one error type, with the request id and no secret ----------------------------------


def test_malformed_replies_raise_api_response_validation_error_everywhere(
    server: FakeTinker, client: ServiceClient
) -> None:
    import tinkex
    from tinkex.types import Datum, ModelInput, SamplingParams

    def check(exc: BaseException, request_id: str | None = None) -> None:
        assert isinstance(exc, tinkex.APIResponseValidationError), repr(exc)
        assert isinstance(exc.__cause__, tinkex.TinkexValidationError)
        assert "tml-test-key-123456" not in str(exc)
        assert "check that base_url" in str(exc)
        if request_id is not None:
            assert exc.request_id == request_id
            assert request_id in str(exc)

    server.script("get_server_capabilities", json_response(200, {"models": []}))
    with pytest.raises(tinkex.APIResponseValidationError) as info:
        client.get_server_capabilities()
    check(info.value)

    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.poll_script("save_weights", json_response(200, {"type": "save_weights"}))
    fut = tc.save_state("ck")
    with pytest.raises(tinkex.APIResponseValidationError) as info:
        fut.result(timeout=10)
    check(info.value, fut.request_id)

    datum = Datum(model_input=ModelInput.from_ints([1]), loss_fn_inputs={"target_tokens": [1]})
    server.poll_script("forward_backward", json_response(200, {"loss_fn_outputs": []}))
    fb = tc.forward_backward([datum], "cross_entropy")
    with pytest.raises(tinkex.APIResponseValidationError) as info:
        fb.result(timeout=10)
    check(info.value, fb.request_id)

    sc = client.create_sampling_client(base_model="tiny-model")
    server.poll_script("asample", json_response(200, {"sequences": [{"tokens": [1]}]}))
    with pytest.raises(tinkex.APIResponseValidationError) as info:
        sc.sample(ModelInput.from_ints([1]), 1, SamplingParams(max_tokens=1)).result(timeout=10)
    check(info.value)
    assert info.value.request_id is not None

    server.script("get_training_run", json_response(200, {"training_run_id": "r"}))
    with pytest.raises(tinkex.APIResponseValidationError) as info:
        client.create_rest_client().get_training_run("r").result(timeout=10)
    check(info.value)


async def test_a_closed_transport_refuses_to_send_instead_of_opening_new_connections(
    server: FakeTinker,
) -> None:
    from tinkex._config import ClientConfig
    from tinkex._runtime._transport import Transport

    made: list[str] = []
    inner = server.factory()

    def factory(purpose: str, limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
        made.append(purpose)
        return inner(purpose, limits, timeout)

    transport = Transport(ClientConfig(api_key=KEY, base_url="http://fake.test"), http_client_factory=factory)
    assert (await transport.send("session", "healthz", "GET", "/api/v1/healthz")).status == 200
    await transport.aclose()
    with pytest.raises(tinkex.ClientClosedError):
        await transport.send("session", "healthz", "GET", "/api/v1/healthz")
    assert made == ["session"]  # no client was opened after close


@pytest.mark.parametrize(("http2", "sizes"), [(False, [2, 2, 1]), (True, [5])])
def test_shards_are_small_for_http1_and_keep_16_for_http2(http2: bool, sizes: list[int]) -> None:
    # HTTP/1.1: small shards keep httpcore's per-request pool bookkeeping short; HTTP/2 multiplexes
    # a shard over one connection, so small shards would only multiply TLS connections.
    from tinkex._config import ClientConfig, PoolSizes
    from tinkex._runtime._transport import Transport

    made: list[int] = []

    def factory(purpose: str, limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
        made.append(limits.max_connections or 0)
        return httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))

    cfg = ClientConfig(
        api_key=KEY, base_url="http://fake.test", http2=http2, pool_sizes=PoolSizes(sampling=5)
    )
    transport = Transport(cfg, http_client_factory=factory)
    for _ in range(5):  # five requests in flight at once
        transport._acquire("sampling")
    assert made == sizes
