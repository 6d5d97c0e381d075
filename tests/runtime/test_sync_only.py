"""The official `@sync_only` behaviour: blocking methods called inside a running event loop log one
WARNING naming the async alternative and still return their result; no warning outside a loop, for a
finished future, or in a notebook."""

from __future__ import annotations

import logging
import sys
import threading
import types

import pytest

from tests.runtime.fake_server import FakeTinker
from tinkex import ServiceClient
from tinkex.types import AdamParams


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "called from async context" in r.getMessage()
    ]


async def test_blocking_calls_inside_a_loop_warn_once_naming_the_async_twin(
    server: FakeTinker, client: ServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tinkex")
    caps = client.get_server_capabilities()  # still runs and returns
    assert caps.supported_models[0].model_name == "tiny-model"
    assert _warnings(caplog) == [
        "Synchronous method 'ServiceClient.get_server_capabilities()' called from async context; it "
        "blocks the event loop until it finishes. Use 'await ServiceClient.get_server_capabilities_async()' "
        "instead."
    ]
    assert all(r.stack_info for r in caplog.records if "called from async context" in r.getMessage())

    caplog.clear()
    # Client creation inside a loop returns a future at once (tinker 0.38): await it, no warning.
    future = client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc = await future
    tc.get_info()
    sampler = await tc.save_weights_and_get_sampling_client()
    sampler.get_base_model()
    assert [m.split("'")[1] for m in _warnings(caplog)] == [
        "TrainingClient.get_info()",
        "SamplingClient.get_base_model()",
    ]

    caplog.clear()
    server.hold["optim_step"] = threading.Event()
    fut = await tc.optim_step_async(AdamParams())
    release = threading.Timer(0.2, server.hold["optim_step"].set)
    release.start()
    assert not fut.done()
    fut.result(timeout=10)  # blocks: warns
    release.join()
    fut.result()  # already done, cannot block: silent
    assert len(_warnings(caplog)) == 1
    assert "await future" in _warnings(caplog)[0]


def test_no_warning_outside_an_event_loop(
    server: FakeTinker, client: ServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tinkex")
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc.optim_step(AdamParams()).result(timeout=10)
    tc.get_info()
    assert _warnings(caplog) == []


async def test_no_warning_in_a_notebook(
    server: FakeTinker,
    client: ServiceClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class ZMQInteractiveShell:
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    caplog.set_level(logging.WARNING, logger="tinkex")
    client.get_server_capabilities()
    assert _warnings(caplog) == []
