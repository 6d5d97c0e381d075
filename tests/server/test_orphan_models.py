"""A model whose create_model result nobody retrieved is freed (issue 12 item 5): the FutureStore hook
and the whole path through the server with the official poll answering 410."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import tinkex
from tinkex._runtime import _waits
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
from tinkex_server._futures import FutureStore
from tinkex_server.backends.null import NullBackend


def _store_with_entry(calls: list[str]) -> tuple[FutureStore, Any]:
    store = FutureStore(clock=lambda: 0.0)
    entry = store.create(owner="u", model_id="m")
    entry.on_orphan = lambda: calls.append(entry.request_id)
    return store, entry


def test_an_unretrieved_finished_future_calls_its_orphan_hook_when_it_expires() -> None:
    async def run() -> None:
        calls: list[str] = []
        store, entry = _store_with_entry(calls)
        store.resolve(entry, {"model_id": "m"})
        store.expire(entry.request_id)
        assert calls == [entry.request_id]

        calls.clear()  # retrieved: the client holds the id, nothing to free
        store, entry = _store_with_entry(calls)
        store.resolve(entry, {"model_id": "m"})
        entry.retrieved = True
        store.expire(entry.request_id)
        assert calls == []

        # expired while still running: freed as soon as it finishes
        store, entry = _store_with_entry(calls)
        store.expire(entry.request_id)
        assert calls == []
        store.resolve(entry, {"model_id": "m"})
        assert calls == [entry.request_id]

        calls.clear()  # a failed creation made nothing
        store, entry = _store_with_entry(calls)
        store.fail(entry, "boom", "server")
        store.expire(entry.request_id)
        assert calls == []

    asyncio.run(run())


class _Backend(NullBackend):
    def loaded(self) -> list[str]:
        return list(self._models)


def test_a_create_model_that_answers_410_leaves_no_model_loaded() -> None:
    backend = _Backend()
    with (
        _waits.zero_waits(),
        LocalServer(backend=backend, faults="expire=1.0", long_poll_s=0.5) as server,
        tinkex.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY, telemetry=False) as sc,
    ):
        for _ in range(3):
            with pytest.raises(tinkex.GoneError, match="create the training client again"):
                sc.create_lora_training_client(base_model="tinkex/null", rank=4)
        assert backend.loaded() == []
