"""The future protocol end to end: long polls (408/try_again), 5xx and resets, failed and expired
futures, queue states, deadlines, cancellation and the helpers over many futures (sync and async)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import SDKEvent, ServiceClient
from tinkex.types import AdamParams


def _tc(client: ServiceClient) -> tinkex.TrainingClient:
    return client.create_lora_training_client(base_model="tiny-model", rank=4)


def test_408_and_try_again_repoll_until_done(server: FakeTinker, client: ServiceClient) -> None:
    tc = _tc(client)
    server.poll_script(
        "optim_step",
        json_response(408, {"queue_state": "active"}),
        json_response(200, {"type": "try_again", "request_id": "x", "queue_state": "active"}),
        json_response(408),
    )
    out = tc.optim_step(AdamParams(learning_rate=0.5)).result(timeout=10)
    assert out.metrics == {"lr:mean": 0.5}
    polls = [c for c in server.ops("retrieve_future") if c.headers["x-tinker-request-type"] == "OptimStep"]
    assert [p.headers["x-tinker-request-iteration"] for p in polls] == ["0", "1", "2", "3"]
    assert "x-tinker-create-promise-roundtrip-time" in polls[0].headers
    assert all("x-tinker-create-promise-roundtrip-time" not in p.headers for p in polls[1:])
    assert polls[0].headers["x-stainless-read-timeout"] == "45"


def test_5xx_and_connection_resets_while_polling_back_off_then_succeed(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append])
    tc = _tc(client)
    server.poll_script(
        "save_weights",
        json_response(503),
        httpx.ReadError("reset"),
        json_response(500),
        httpx.ConnectError("refused"),
    )
    assert tc.save_state("ck").result(timeout=10).path.endswith("/weights/ck")


def test_failed_future_raises_request_failed_error_and_is_not_retried(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = _tc(client)
    server.poll_script(
        "forward_backward", json_response(200, {"error": "NaN in weights", "category": "user"})
    )
    datum = tinkex.types.Datum(
        model_input=tinkex.types.ModelInput.from_ints([1]),
        loss_fn_inputs={"target_tokens": [1], "weights": [1.0]},
    )
    with pytest.raises(tinkex.RequestFailedError) as info:
        tc.forward_backward([datum], "cross_entropy").result(timeout=10)
    err = info.value
    assert err.is_user_error
    assert err.category == "user"
    assert err.request_id.startswith("req-")
    assert "NaN in weights" in str(err)
    assert len(server.ops("forward_backward")) == 1


def test_410_on_training_fails_clearly(server: FakeTinker, client: ServiceClient) -> None:
    tc = _tc(client)
    server.poll_script("optim_step", json_response(410, {"detail": "promise expired"}))
    with pytest.raises(tinkex.GoneError, match="no longer holds"):
        tc.optim_step(AdamParams()).result(timeout=10)
    assert len(server.ops("optim_step")) == 1  # never resubmitted: not safe for training


def test_fatal_poll_status(server: FakeTinker, client: ServiceClient) -> None:
    tc = _tc(client)
    server.poll_script("optim_step", json_response(404, {"detail": "unknown request"}))
    with pytest.raises(tinkex.NotFoundError):
        tc.optim_step(AdamParams()).result(timeout=10)


def test_queue_state_reaches_hooks_and_log_once_a_minute(
    server: FakeTinker, make_client: Callable[..., ServiceClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tinkex")
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append])
    tc = _tc(client)
    paused = json_response(408, {"queue_state": "paused_capacity", "queue_state_reason": "GPUs busy"})
    server.poll_script("optim_step", paused, paused, paused, json_response(408, {"queue_state": "active"}))
    tc.optim_step(AdamParams()).result(timeout=10)
    states = [e.attributes["queue_state"] for e in events if e.kind == "queue_state"]
    assert states == ["paused_capacity", "active"]  # on change, not on every poll
    lines = [r for r in caplog.records if "paused" in r.getMessage()]
    assert len(lines) == 1
    assert "GPUs busy" in lines[0].getMessage()


def test_deadline_raises_future_timeout_and_leaves_the_request_running(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = _tc(client)
    gate = threading.Event()
    server.hold["optim_step"] = gate
    fut = tc.optim_step(AdamParams())
    with pytest.raises(tinkex.FutureTimeoutError) as info:
        fut.result(timeout=0.2)
    assert isinstance(info.value, TimeoutError)
    assert not fut.done()
    assert fut.request_id is not None
    assert fut.request_id.startswith("req-")
    assert info.value.request_id == fut.request_id  # the message names the request to ask about
    gate.set()
    assert fut.result(timeout=10).metrics is not None


def test_client_default_deadline(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    client = make_client(future_timeout=0.2)
    tc = _tc(client)
    server.hold["optim_step"] = threading.Event()
    with pytest.raises(TimeoutError):
        tc.optim_step(AdamParams()).result()
    server.hold["optim_step"].set()


async def test_result_async_deadline_and_await(server: FakeTinker, client: ServiceClient) -> None:
    tc = await client.create_lora_training_client_async(base_model="tiny-model", rank=4)
    gate = threading.Event()
    server.hold["optim_step"] = gate
    fut = await tc.optim_step_async(AdamParams())
    with pytest.raises(tinkex.FutureTimeoutError):
        await fut.result_async(timeout=0.2)
    gate.set()
    out = await fut
    assert out.metrics is not None


async def test_cancelling_the_awaiting_task_does_not_cancel_the_request(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = await client.create_lora_training_client_async(base_model="tiny-model", rank=4)
    gate = threading.Event()
    server.hold["optim_step"] = gate
    fut = tc.optim_step(AdamParams())
    waiter = asyncio.ensure_future(fut.result_async())
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    assert (await fut.result_async(timeout=10)).metrics is not None


def test_cancel_stops_the_request(server: FakeTinker, client: ServiceClient) -> None:
    tc = _tc(client)
    server.hold["optim_step"] = threading.Event()
    fut = tc.optim_step(AdamParams())
    assert fut.cancel()
    with pytest.raises(concurrent.futures.CancelledError):
        fut.result(timeout=5)
    server.hold["optim_step"].set()
    assert tc.optim_step(AdamParams()).result(timeout=10).metrics is not None


def test_futures_work_with_concurrent_futures_and_helpers(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    prompt = tinkex.types.ModelInput.from_ints([1, 2])
    params = tinkex.types.SamplingParams(max_tokens=2)
    futs = [sc.sample(prompt, 1, params) for _ in range(5)]
    done, _ = concurrent.futures.wait(futs, timeout=10)
    assert len(done) == 5
    assert len(tinkex.wait_all(futs, timeout=10)) == 5
    assert len(list(tinkex.as_completed(futs, timeout=10))) == 5


def test_wait_all_deadline(server: FakeTinker, client: ServiceClient) -> None:
    tc = _tc(client)
    server.hold["optim_step"] = threading.Event()
    with pytest.raises(tinkex.FutureTimeoutError):
        tinkex.wait_all([tc.optim_step(AdamParams())], timeout=0.1)
    with pytest.raises(TimeoutError):
        list(tinkex.as_completed([tc.optim_step(AdamParams())], timeout=0.1))
    server.hold["optim_step"].set()


async def test_async_helpers(server: FakeTinker, client: ServiceClient) -> None:
    sc = await client.create_sampling_client_async(base_model="tiny-model")
    prompt = tinkex.types.ModelInput.from_ints([1, 2])
    params = tinkex.types.SamplingParams(max_tokens=2)
    futs = [sc.sample(prompt, 1, params) for _ in range(4)]
    results = await tinkex.gather_async(futs, timeout=10)
    assert len(results) == 4
    seen = [f async for f in tinkex.as_completed_async(futs, timeout=10)]
    assert len(seen) == 4


def test_result_on_the_sdk_thread_raises_instead_of_deadlocking(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    errors: list[BaseException] = []
    holder: dict[str, tinkex.APIFuture[object]] = {}

    def hook(event: SDKEvent) -> None:
        if event.kind == "request" and event.operation == "optim_step" and "fut" in holder:
            try:
                holder["fut"].result(timeout=1)
            except BaseException as exc:
                errors.append(exc)

    client = make_client(event_hooks=[hook])
    tc = _tc(client)
    server.hold["optim_step"] = threading.Event()
    holder["fut"] = tc.optim_step(AdamParams())  # type: ignore[assignment]
    second = tc.optim_step(AdamParams())
    server.hold["optim_step"].set()
    second.result(timeout=10)
    assert errors
    assert isinstance(errors[0], tinkex.TinkexError)
    assert "deadlock" in str(errors[0])


def test_polling_gives_up_after_progress_timeout(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(retry_config=tinkex.RetryConfig(progress_timeout=0.3))
    tc = _tc(client)
    server.hold["optim_step"] = threading.Event()
    with pytest.raises(tinkex.FutureTimeoutError, match="no progress"):
        tc.optim_step(AdamParams()).result(timeout=10)
    server.hold["optim_step"].set()


def test_retry_logic_can_be_disabled(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    client = make_client(retry_config=tinkex.RetryConfig(enable_retry_logic=False))
    server.script("get_server_capabilities", json_response(503))
    with pytest.raises(tinkex.InternalServerError):
        client.get_server_capabilities()
    assert len(server.ops("get_server_capabilities")) == 1
    sc = client.create_sampling_client(base_model="tiny-model")
    server.poll_script("asample", json_response(410))
    with pytest.raises(tinkex.GoneError):
        sc.sample(tinkex.types.ModelInput.from_ints([1]), 1, tinkex.types.SamplingParams()).result(timeout=10)
    assert len(server.ops("asample")) == 1


def test_as_completed_async_abandoned_early_leaves_no_callback_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tinkex._runtime._futures import APIFuture

    futs: list[APIFuture[int]] = [APIFuture() for _ in range(3)]
    futs[0].set_result(0)

    async def first() -> int:
        async for fut in tinkex.as_completed_async(futs, timeout=5):
            return fut.result()
        return -1

    assert asyncio.run(first()) == 0  # the awaiting loop is closed now
    caplog.set_level(logging.ERROR)
    futs[1].set_result(1)
    futs[2].set_result(2)
    assert not [r for r in caplog.records if "callback" in r.getMessage()]


def test_wait_all_and_gather_async_raise_the_first_failure_without_waiting_for_the_rest() -> None:
    from tinkex._runtime._futures import APIFuture

    slow: APIFuture[int] = APIFuture()  # never finishes
    failed: APIFuture[int] = APIFuture()
    failed.set_exception(tinkex.RequestFailedError("boom", "req-1", "user"))
    with pytest.raises(tinkex.RequestFailedError):
        tinkex.wait_all([slow, failed], timeout=5)

    async def gather() -> None:
        await tinkex.gather_async([slow, failed], timeout=5)

    with pytest.raises(tinkex.RequestFailedError):
        asyncio.run(asyncio.wait_for(gather(), 2))


def test_request_id_is_known_even_when_dispatch_beats_the_caller(
    server: FakeTinker, client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK thread may send the request before the calling thread got its future back (a busy
    # machine); the request id must still reach the future.
    import time

    tc = _tc(client)
    real_spawn = client._rt.spawn

    def late_spawn(*args: object, **kwargs: object) -> object:
        fut = real_spawn(*args, **kwargs)  # type: ignore[arg-type]
        deadline = time.monotonic() + 5
        while not server.ops("optim_step") and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)  # the accepted reply is processed before the caller continues
        return fut

    monkeypatch.setattr(client._rt, "spawn", late_spawn)
    gate = threading.Event()
    server.hold["optim_step"] = gate
    fut = tc.optim_step(AdamParams())
    assert fut.request_id is not None
    assert fut.request_id.startswith("req-")
    gate.set()
    assert fut.result(timeout=10) is not None


def test_a_blocking_call_on_the_sdk_thread_fails_before_sending_anything(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    # Raising is not enough: the call must not go out either (a model nobody can use, say).
    errors: list[BaseException] = []
    client_box: list[ServiceClient] = []

    def hook(event: SDKEvent) -> None:
        if event.kind == "request" and event.operation == "create_sampling_session" and not errors:
            try:
                client_box[0].create_lora_training_client(base_model="tiny-model", rank=4)
            except BaseException as exc:
                errors.append(exc)

    client = make_client(event_hooks=[hook])
    client_box.append(client)
    client.create_sampling_client(base_model="tiny-model")
    client.get_server_capabilities()  # the SDK thread is idle again
    assert len(errors) == 1
    assert isinstance(errors[0], tinkex.TinkexError)
    assert "deadlock" in str(errors[0])
    assert not server.ops("create_model")


def test_blocking_training_methods_on_the_sdk_thread_send_nothing(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    errors: list[BaseException] = []
    box: list[tinkex.TrainingClient] = []
    datum = tinkex.types.Datum(
        model_input=tinkex.types.ModelInput.from_ints([1]), loss_fn_inputs={"target_tokens": [1]}
    )

    def hook(event: SDKEvent) -> None:
        if event.kind == "request" and event.operation == "optim_step" and box and not errors:
            for call in (
                lambda: box[0].save_weights_and_get_sampling_client(),
                lambda: box[0].forward_backward_custom([datum], lambda d, lp: (lp[0].sum(), {})),
            ):
                try:
                    call()
                except BaseException as exc:
                    errors.append(exc)

    client = make_client(event_hooks=[hook])
    box.append(_tc(client))
    box[0].optim_step(AdamParams()).result(timeout=10)
    box[0].get_info()
    assert len(errors) == 2
    assert all(isinstance(e, tinkex.TinkexError) and "deadlock" in str(e) for e in errors)
    assert not server.ops("save_weights_for_sampler")
    assert not server.ops("forward")


def test_an_in_flight_future_fails_within_a_new_calls_budget_when_the_server_is_gone(
    server: FakeTinker, client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 12 item 9: with the server refusing connections, a future already in flight kept polling
    # for the 2-hour progress timeout while a new call gave up after ~65 s. It now gives up after the
    # same retries and backoff as a new call, without the caller passing a timeout.
    from tinkex._runtime import _futures

    waited: list[float] = []
    real_sleep = _futures._waits.sleep

    async def recording_sleep(seconds: float) -> None:
        waited.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(_futures._waits, "sleep", recording_sleep)
    tc = _tc(client)
    server.poll_script("optim_step", *[httpx.ConnectError("refused")] * 100)
    with pytest.raises(
        tinkex.APIConnectionError, match="server is unreachable: 11 connection attempts"
    ) as info:
        tc.optim_step(AdamParams()).result(timeout=30)
    assert not isinstance(info.value, tinkex.FutureTimeoutError)
    assert "may still complete" in str(info.value)
    from tinkex._policy._polling import connection_error_budget

    retry = client.config.retry
    budget = connection_error_budget(
        max_retries=retry.max_retries, base=retry.retry_delay_base, max_delay=retry.retry_delay_max
    )
    assert budget == 65.5  # the documented figure for the default RetryConfig
    assert len(waited) == retry.max_retries
    assert sum(waited) <= budget * (1 + retry.jitter_factor)
    assert len(server.ops("optim_step")) == 1  # never resubmitted


def test_410_on_a_training_future_says_not_to_resubmit(server: FakeTinker, client: ServiceClient) -> None:
    # Issue 12 item 5: the 410 hint said "submit the request again", which duplicated applied steps.
    tc = _tc(client)
    server.poll_script("forward_backward", json_response(410, {"detail": "promise expired"}))
    datum = tinkex.types.Datum(
        model_input=tinkex.types.ModelInput.from_ints([1]),
        loss_fn_inputs={"target_tokens": [1], "weights": [1.0]},
    )
    with pytest.raises(tinkex.GoneError) as info:
        tc.forward_backward([datum], "cross_entropy").result(timeout=10)
    text = str(info.value)
    assert "may have applied it" in text
    assert "do not submit it again" in text
    assert "get_training_run" in text
    assert "submit the request again" not in text


@pytest.mark.parametrize(
    "reply",
    [json_response(410, {"detail": "expired"}), json_response(200, {"unexpected": True})],
    ids=["410", "result-without-model_id"],
)
def test_a_failed_create_model_unloads_the_model_it_asked_for(
    server: FakeTinker, client: ServiceClient, reply: Any
) -> None:
    # Issue 12 item 5: a 410 during create_model left an orphan model loaded on the server.
    server.poll_script("create_model", reply)
    with pytest.raises((tinkex.GoneError, tinkex.APIResponseValidationError)) as info:
        client.create_lora_training_client(base_model="tiny-model", rank=4)
    if isinstance(info.value, tinkex.GoneError):
        assert "create the training client again" in str(info.value)
    unloads = [c.body["model_id"] for c in server.ops("unload_model")]
    assert unloads == ["sess-1:train:0"]
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)  # the next one works
    assert tc.model_id == "sess-1:train:1"
    assert len(server.ops("unload_model")) == 1


def test_closing_the_client_during_create_model_unloads_the_model(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    # close() while create_model is still pending: no TrainingClient will ever hold that model, so
    # close() unloads it before the connection pools go (it used to wait for the session to expire).
    client = make_client()
    server.poll_script("create_model", *[json_response(408, {"request_id": "x"})] * 100_000)
    fut = client._rt.spawn(client._create_lora("tiny-model", 4, None, True, True, True, None))
    _wait_until(lambda: bool(server.ops("create_model")) and bool(server.ops("retrieve_future")))
    client.close()
    with pytest.raises(tinkex.ClientClosedError):
        fut.result(timeout=10)
    assert [c.body["model_id"] for c in server.ops("unload_model")] == ["sess-1:train:0"]


def _wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)
