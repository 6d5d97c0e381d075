"""Sessions and lifecycle: lazy create_session, heartbeats on their own schedule, heartbeat loss ->
SessionLostError, the missed-heartbeat warning, close() leaving no thread or task, context managers."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import SDKEvent, ServiceClient
from tinkex.types import AdamParams


def _wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def _sdk_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tinkex-loop")]


def test_session_is_created_once_on_first_need(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(user_metadata={"team": "rl"}, tags=["b", "a", "b"])
    client.get_server_capabilities()
    assert not server.ops("create_session")
    assert client.session_id is None
    client.create_lora_training_client(base_model="tiny-model", rank=4)
    client.create_sampling_client(base_model="tiny-model")
    (call,) = server.ops("create_session")
    assert call.body == {
        "tags": ["b", "a"],
        "user_metadata": {"team": "rl"},
        "sdk_version": tinkex.__version__,
        "type": "create_session",
    }
    assert client.session_id == "sess-1"


def test_tags_from_environment(
    server: FakeTinker, make_client: Callable[..., ServiceClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINKER_TAGS", "x,y")
    client = make_client()
    client.create_sampling_client(base_model="tiny-model")
    assert server.ops("create_session")[0].body["tags"] == ["x", "y"]


def test_heartbeats_run_on_schedule_and_stop_at_close(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    events: list[SDKEvent] = []
    client = make_client(heartbeat_interval=0.02, event_hooks=[events.append])
    client.create_sampling_client(base_model="tiny-model")
    _wait_for(lambda: len(server.ops("session_heartbeat")) >= 3)
    beat = server.ops("session_heartbeat")[0]
    assert beat.body == {"session_id": "sess-1", "type": "session_heartbeat"}
    assert beat.headers["x-stainless-read-timeout"] == "10"
    assert any(e.kind == "heartbeat" for e in events)
    client.close()
    count = len(server.ops("session_heartbeat"))
    time.sleep(0.1)
    assert len(server.ops("session_heartbeat")) == count
    assert not _sdk_threads()


def test_heartbeat_is_never_retried(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    client = make_client(heartbeat_interval=0.02)
    server.script("session_heartbeat", json_response(503), httpx.ReadError("reset"))
    client.create_sampling_client(base_model="tiny-model")
    _wait_for(lambda: len(server.ops("session_heartbeat")) >= 3)
    assert [c.headers["x-stainless-retry-count"] for c in server.ops("session_heartbeat")[:3]] == [
        "0",
        "0",
        "0",
    ]


def test_heartbeat_loss_makes_the_next_call_raise_session_lost(
    server: FakeTinker, make_client: Callable[..., ServiceClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="tinkex")
    client = make_client(heartbeat_interval=0.02)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    sc = client.create_sampling_client(base_model="tiny-model")
    server.heartbeat_status = 404
    _wait_for(lambda: client._rt.session.lost)
    with pytest.raises(tinkex.SessionLostError, match="create a new ServiceClient"):
        tc.optim_step(AdamParams())
    with pytest.raises(tinkex.SessionLostError):
        sc.sample(tinkex.types.ModelInput.from_ints([1]), 1, tinkex.types.SamplingParams()).result(timeout=5)
    with pytest.raises(tinkex.SessionLostError):
        client.create_lora_training_client(base_model="tiny-model", rank=4)
    assert "no longer knows session" in caplog.text
    n = len(server.ops("session_heartbeat"))
    time.sleep(0.1)
    assert len(server.ops("session_heartbeat")) == n  # a lost session stops heart-beating


def test_missed_heartbeats_warn(
    server: FakeTinker, make_client: Callable[..., ServiceClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tinkex")
    client = make_client(heartbeat_interval=0.02, heartbeat_warn_after=0.05)
    server.heartbeat_status = 503
    client.create_sampling_client(base_model="tiny-model")
    _wait_for(lambda: "Session heartbeat failed" in caplog.text)
    assert not client._rt.session.lost  # 5xx is not a verdict on the session


def test_close_is_idempotent_and_later_calls_fail_clearly(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client()
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    assert _sdk_threads()
    client.close()
    client.close()
    assert not _sdk_threads()
    with pytest.raises(tinkex.TinkexError, match="closed"):
        tc.optim_step(AdamParams()).result(timeout=5)
    with pytest.raises(tinkex.TinkexError, match="closed"):
        client.get_server_capabilities()


def test_close_with_requests_in_flight_leaves_nothing_behind(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(heartbeat_interval=0.02)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.hold["optim_step"] = threading.Event()
    fut = tc.optim_step(AdamParams())
    _wait_for(lambda: len(server.ops("retrieve_future")) >= 3)
    client.close()
    assert fut.done()
    assert not _sdk_threads()
    server.hold["optim_step"].set()


def test_sync_context_manager(server: FakeTinker) -> None:
    with ServiceClient(
        api_key="tml-k-123456", base_url="http://fake.test", telemetry=False, _transport=server.transport()
    ) as sc:
        sc.create_sampling_client(base_model="tiny-model")
        assert _sdk_threads()
    assert not _sdk_threads()


async def test_async_context_manager(server: FakeTinker) -> None:
    async with ServiceClient(
        api_key="tml-k-123456", base_url="http://fake.test", telemetry=False, _transport=server.transport()
    ) as sc:
        await sc.create_sampling_client_async(base_model="tiny-model")
        assert (await sc.get_server_capabilities_async()).supported_models
    assert not _sdk_threads()


def test_no_thread_before_first_use(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    make_client()
    assert not _sdk_threads()


def test_missing_api_key_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    with pytest.raises(tinkex.TinkexValidationError, match="TINKER_API_KEY"):
        ServiceClient(base_url="http://fake.test")


def test_official_positional_user_metadata_and_ignored_kwargs(
    server: FakeTinker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINKER_API_KEY", "tml-env-key-123456")
    with ServiceClient(
        {"a": "b"},
        base_url="http://fake.test",
        telemetry=False,
        http_client=None,
        _transport=server.transport(),
    ) as sc:
        sc.create_sampling_client(base_model="tiny-model")
    assert server.ops("create_session")[0].body["user_metadata"] == {"a": "b"}
    assert server.calls[0].headers["x-api-key"] == "tml-env-key-123456"


def test_explicit_key_wins_over_environment(server: FakeTinker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINKER_API_KEY", "tml-env-key-123456")
    with ServiceClient(
        api_key="tml-arg-key-123456",
        base_url="http://fake.test",
        telemetry=False,
        _transport=server.transport(),
    ) as sc:
        sc.get_server_capabilities()
    assert server.calls[0].headers["x-api-key"] == "tml-arg-key-123456"


def test_a_call_answered_session_expired_raises_session_lost(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.script(
        "optim_step",
        json_response(404, {"detail": "session sess-1 expired: no heartbeat for more than 300 s"}),
    )
    with pytest.raises(tinkex.SessionLostError) as info:
        tc.optim_step(AdamParams()).result(timeout=10)
    assert isinstance(info.value.__cause__, tinkex.NotFoundError)
    with pytest.raises(tinkex.SessionLostError):
        client.create_sampling_client(base_model="tiny-model")


def test_a_404_about_something_else_is_not_a_lost_session(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.script("optim_step", json_response(404, {"detail": "model m-9 not found"}))
    with pytest.raises(tinkex.NotFoundError):
        tc.optim_step(AdamParams()).result(timeout=10)
    assert tc.optim_step(AdamParams()).result(timeout=10) is not None


# -- closing while calls wait: a clear ClientClosedError, never CancelledError, never a hang ---------------


def test_a_pending_future_fails_with_client_closed_error_when_the_client_closes(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client()
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.hold["optim_step"] = threading.Event()
    fut = tc.optim_step(AdamParams())
    _wait_for(lambda: len(server.ops("retrieve_future")) >= 2)
    client.close()
    with pytest.raises(tinkex.ClientClosedError, match="closed") as info:
        fut.result(timeout=5)
    assert isinstance(info.value, tinkex.TinkexError)
    assert not fut.cancelled()
    server.hold["optim_step"].set()


def test_a_thread_blocked_in_result_is_woken_by_close(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client()
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.hold["save_weights"] = threading.Event()
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            tc.save_state("ck").result()
        except BaseException as exc:  # the assertion is on the type
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    _wait_for(lambda: len(server.ops("retrieve_future")) >= 2)
    client.close()
    waiter.join(5)
    assert not waiter.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], tinkex.ClientClosedError), outcome
    server.hold["save_weights"].set()


async def test_an_awaited_future_fails_with_client_closed_error_when_the_client_closes(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client()
    tc = await client.create_lora_training_client_async(base_model="tiny-model", rank=4)
    server.hold["optim_step"] = threading.Event()
    fut = await tc.optim_step_async(AdamParams())
    await client.aclose()
    with pytest.raises(tinkex.ClientClosedError):
        await fut.result_async(timeout=5)
    server.hold["optim_step"].set()


def test_a_task_that_ignores_cancellation_still_fails_its_future_at_close() -> None:
    # A coroutine that swallows the shutdown's cancel outlives close(); its future must not hang.
    import asyncio

    from tinkex._runtime._futures import spawn
    from tinkex._runtime._loop import LoopThread

    async def stubborn() -> int:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    loop = LoopThread()
    fut = spawn(loop, stubborn())
    _wait_for(lambda f=fut: f._task is not None)
    loop.close(timeout=0.2)
    with pytest.raises(tinkex.ClientClosedError):
        fut.result(timeout=5)
    # The abandoned task is collected here, so asyncio's "Task was destroyed" log stays in this test.
    fut._task = None
    del fut
    gc.collect()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's own error
def test_a_loop_thread_that_fails_to_start_raises_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from tinkex._runtime import _loop

    def broken(loop: asyncio.AbstractEventLoop) -> None:
        raise RuntimeError("no event loop for you")

    monkeypatch.setattr(_loop.asyncio, "set_event_loop", broken)
    lt = _loop.LoopThread()
    outcome: list[BaseException] = []

    def start() -> None:
        try:
            lt.loop  # noqa: B018
        except BaseException as exc:  # the assertion is on the type
            outcome.append(exc)

    starter = threading.Thread(target=start)
    starter.start()
    starter.join(5)
    assert not starter.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], tinkex.TinkexError)
    assert "event-loop thread" in str(outcome[0])


def test_an_unexpected_error_in_one_heartbeat_does_not_stop_the_heartbeat(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    # E.g. a transport bug or an exception type nobody mapped: the next beat must still go out,
    # or the server would end a session whose client is alive.
    client = make_client(heartbeat_interval=0.02)
    server.script("session_heartbeat", ValueError("unexpected"))
    client.create_sampling_client(base_model="tiny-model")
    _wait_for(lambda: len(server.ops("session_heartbeat")) >= 3)
    assert not client._rt.session.lost
