"""`ServiceClient.lowlevel` over the fake server: every operation is a method named by its operationId,
sent through the runtime (API key, retry policy with one idempotency key, events, error mapping), with
the body as a generated model or a dict, path and query parameters as keywords, the answer parsed into
the generated response model, and futures waited on with `wait`."""

from __future__ import annotations

import asyncio

import pytest
from _tinkex_lowlevel.models import (
    GetInfoRequest,
    GetInfoResponse,
    TrainingRun,
    TrainingRunsResponse,
    UntypedAPIFuture,
)
from _tinkex_lowlevel.operations import OPERATIONS, EmptyResponse

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import ServiceClient


def test_every_operation_is_a_sync_and_an_async_method(client: ServiceClient) -> None:
    for op_id in OPERATIONS:
        assert callable(getattr(client.lowlevel, op_id))
        assert asyncio.iscoroutinefunction(getattr(client.lowlevel, f"{op_id}_async"))
    assert client.lowlevel is client.lowlevel


def test_body_as_a_model_or_a_dict_and_a_parsed_answer(server: FakeTinker, client: ServiceClient) -> None:
    info = client.lowlevel.get_info(GetInfoRequest(model_id="m:train:0"))
    assert isinstance(info, GetInfoResponse)
    assert info.model_id == "m:train:0"
    assert client.lowlevel.get_info({"model_id": "m:train:1"}).model_id == "m:train:1"
    calls = server.ops("get_info")
    assert calls[0].body["model_id"] == "m:train:0"
    assert calls[1].body == {"model_id": "m:train:1"}
    assert calls[0].headers["x-api-key"] == "tml-test-key-123456"
    assert calls[0].headers["x-idempotency-key"]


def test_path_and_query_parameters_are_keywords(server: FakeTinker, client: ServiceClient) -> None:
    run = client.lowlevel.get_training_run(training_run_id="r:train:0")
    assert isinstance(run, TrainingRun)
    assert run.training_run_id == "r:train:0"
    page = client.lowlevel.list_training_runs(limit=2)
    assert isinstance(page, TrainingRunsResponse)
    assert len(page.training_runs) == 2
    assert server.ops("get_training_run")[0].path == "/api/v1/training_runs/r:train:0"
    assert server.ops("list_training_runs")[0].query == {"limit": "2"}  # unset offset is not sent


def test_no_content_answers_are_an_empty_response(server: FakeTinker, client: ServiceClient) -> None:
    done = client.lowlevel.delete_checkpoint(
        training_run_id="r-1", checkpoint_kind="weights", checkpoint_name="a"
    )
    assert isinstance(done, EmptyResponse)
    assert done.status // 100 == 2
    assert server.ops("delete_checkpoint")[0].path == "/api/v1/training_runs/r-1/checkpoints/weights/a"


def test_a_future_is_waited_on(server: FakeTinker, client: ServiceClient) -> None:
    fut = client.lowlevel.unload_model({"model_id": "m:train:0"})
    assert isinstance(fut, UntypedAPIFuture)
    assert client.lowlevel.wait(fut, timeout=10) == {"model_id": "m:train:0"}
    assert client.lowlevel.wait(fut.request_id, timeout=10) == {"model_id": "m:train:0"}


def test_retries_and_events_go_through_the_runtime(server: FakeTinker, make_client: object) -> None:
    events: list[tinkex.SDKEvent] = []
    sc: ServiceClient = make_client(event_hooks=[events.append])  # type: ignore[operator]
    server.script("get_info", json_response(503, {"detail": "busy"}))
    assert sc.lowlevel.get_info({"model_id": "m"}).model_id == "m"
    first, second = server.ops("get_info")
    assert first.headers["x-idempotency-key"] == second.headers["x-idempotency-key"]
    assert [e.kind for e in events if e.operation == "get_info"] == ["request", "retry", "request"]


def test_errors_are_the_sdk_status_errors(server: FakeTinker, client: ServiceClient) -> None:
    server.script("get_training_run", json_response(404, {"detail": "no such run"}))
    with pytest.raises(tinkex.NotFoundError, match="no such run"):
        client.lowlevel.get_training_run(training_run_id="nope")


def test_a_body_of_the_wrong_type_is_refused_before_sending(
    server: FakeTinker, client: ServiceClient
) -> None:
    with pytest.raises(tinkex.TinkexValidationError, match=r"get_info\(body\): must be a GetInfoRequest"):
        client.lowlevel.get_info(42)  # type: ignore[arg-type]
    assert not server.ops("get_info")


def test_an_empty_path_parameter_is_refused_before_sending(server: FakeTinker, client: ServiceClient) -> None:
    with pytest.raises(tinkex.TinkexValidationError, match=r"get_training_run\(training_run_id=...\)"):
        client.lowlevel.get_training_run(training_run_id="")
    assert not server.ops("get_training_run")


async def test_async_twins(server: FakeTinker, client: ServiceClient) -> None:
    info = await client.lowlevel.get_info_async({"model_id": "m:train:2"})
    assert info.model_id == "m:train:2"
    fut = await client.lowlevel.unload_model_async({"model_id": "m:train:2"})
    assert await client.lowlevel.wait_async(fut, timeout=10) == {"model_id": "m:train:2"}
