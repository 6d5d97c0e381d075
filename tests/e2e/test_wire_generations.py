"""tinkex against the local server in both wire generations, chosen by the server: a 0.38 server
(client/config answered) gets protobuf forward_backward and protobuf results, a 0.7.0-era server
(client/config answers 404) gets today's JSON protocol, unchanged. Training loops, forward, sampling
with sequence ids, and a seq_id never applied twice when the connection drops after the server took
the request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("tinkex_server")

import tinkex
from tinkex._runtime import _waits
from tinkex.types import AdamParams, Datum, ModelInput, SamplingParams, TensorData
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer, _v038
from tinkex_server._core import HTTPError
from tinkex_server.backends.null import NullBackend

pytestmark = pytest.mark.e2e


def _datum(tokens: list[int], as_numpy: bool = False) -> Datum:
    targets: Any = tokens[1:]
    weights: Any = [1.0] * (len(tokens) - 1)
    if as_numpy:
        targets = TensorData.from_numpy(np.asarray(targets, dtype=np.int64))
        weights = TensorData.from_numpy(np.asarray(weights, dtype=np.float32))
    return Datum(
        model_input=ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": targets, "weights": weights},
    )


def _client(url: str, **kwargs: Any) -> tinkex.ServiceClient:
    return tinkex.ServiceClient(api_key=DEFAULT_DEV_API_KEY, base_url=url, telemetry=False, **kwargs)


class _Seen:
    """What the server received, recorded by wrapping its forward_backward entry points."""

    def __init__(self) -> None:
        self.proto = 0
        self.forward_only = 0
        self.json_forward = 0


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> _Seen:
    record = _Seen()
    original = _v038.V038Routes.forward_backward_proto

    async def spy(self: Any, request: Any, owner: str, body: Any) -> Any:
        record.proto += 1
        record.forward_only += bool(body.get("forward_only"))
        return await original(self, request, owner, body)

    monkeypatch.setattr(_v038.V038Routes, "forward_backward_proto", spy)
    return record


@pytest.fixture(params=[False, True], ids=["plain", "zstd"])
def server_038(request: pytest.FixtureRequest, seen: _Seen) -> Iterator[LocalServer]:
    with LocalServer(backend="null", long_poll_s=0.5, zstd_fwdbwd=request.param) as srv:
        yield srv


@pytest.fixture
def server_07(monkeypatch: pytest.MonkeyPatch, seen: _Seen) -> Iterator[LocalServer]:
    """A 0.7.0-era server: the operations 0.38 added are unknown (404)."""

    async def unknown(self: Any, request: Any, owner: str, body: Any) -> Any:
        raise HTTPError(404, "Not Found")

    monkeypatch.setattr(_v038.V038Routes, "client_config", unknown)
    monkeypatch.setattr(_v038.V038Routes, "client_dynamic_config", unknown)
    with LocalServer(backend="null", long_poll_s=0.5) as srv:
        yield srv


def _train_and_sample(sc: tinkex.ServiceClient) -> tuple[list[Any], Any, Any]:
    model = sc.get_server_capabilities().supported_models[0].model_name
    tc = sc.create_lora_training_client(base_model=model, rank=4, seed=0)
    losses = []
    for step in range(3):
        batch = [_datum([1, 2, 3, 4, 5 + i], as_numpy=bool(i % 2)) for i in range(5)]
        fb = tc.forward_backward(batch, "cross_entropy")
        opt = tc.optim_step(AdamParams(learning_rate=1e-3))
        out = fb.result(timeout=60)
        assert len(out.loss_fn_outputs) == 5
        lp = out.loss_fn_outputs[0]["logprobs"]
        assert lp.to_numpy().shape == (4,)
        losses.append(out.metrics["loss:sum"])
        assert opt.result(timeout=60) is not None
        del step
    # a training client from a checkpoint (0.38: one load_weights without model_id), trained on
    state = tc.save_state("wire-state").result(timeout=60).path
    tc2 = sc.create_training_client_from_state_with_optimizer(state)
    assert tc2.model_id != tc.model_id
    tc2.forward_backward([_datum([1, 2, 3])], "cross_entropy").result(timeout=60)
    assert tc2.optim_step(AdamParams(learning_rate=1e-3)).result(timeout=60).metrics["step:max"] == 4.0
    fwd = tc.forward([_datum([7, 8, 9])], "cross_entropy").result(timeout=60)
    assert len(fwd.loss_fn_outputs) == 1
    sampler = tc.save_weights_and_get_sampling_client("wire-e2e")
    resp = sampler.sample(
        ModelInput.from_ints([1, 2, 3]),
        num_samples=3,
        sampling_params=SamplingParams(max_tokens=4, seed=1),
        include_prompt_logprobs=True,
    ).result(timeout=60)
    return losses, fwd, resp


def test_a_038_server_gets_protobuf_forward_backward_and_forward_only(
    server_038: LocalServer, seen: _Seen
) -> None:
    with _client(server_038.base_url, chunk_max_datums=3) as sc:
        losses, _fwd, resp = _train_and_sample(sc)
        assert sc._rt.protocol == "0.38"
    # 3 steps of 5 datums in chunks of 3 -> 6 forward_backward bodies, 1 from the loaded client, 1 forward
    assert seen.proto == 8
    assert seen.forward_only == 1
    assert all(np.isfinite(losses))
    assert len(resp.sequences) == 3
    assert all(len(s.tokens) == 4 for s in resp.sequences)
    assert resp.prompt_logprobs is not None
    assert resp.prompt_logprobs[0] is None
    ids = [getattr(s, "sequence_id", None) for s in resp.sequences]
    if "sequence_id" in type(resp.sequences[0]).__dataclass_fields__:  # the 0.38 types
        assert all(isinstance(i, str) and i for i in ids)
        assert len(set(ids)) == 3


def test_a_07_era_server_gets_todays_json_protocol(server_07: LocalServer, seen: _Seen) -> None:
    with _client(server_07.base_url, chunk_max_datums=3) as sc:
        losses, fwd, resp = _train_and_sample(sc)
        assert sc._rt.protocol == "0.7"
        assert sc._rt.wire.refresher is None  # no dynamic config against a 0.7.0-era server
    assert seen.proto == 0
    assert all(np.isfinite(losses))
    assert len(fwd.loss_fn_outputs) == 1
    assert len(resp.sequences) == 3


class _Counting(NullBackend):
    """The null backend counting what it applied (backend calls run one at a time, in order)."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: Counter[str] = Counter()

    def forward_backward(self, model_id: str, data: Any, loss_fn: str, config: Any, backward: bool) -> Any:
        self.applied["forward_backward" if backward else "forward"] += 1
        return super().forward_backward(model_id, data, loss_fn, config, backward)

    def optim_step(self, model_id: str, adam: Any) -> Any:
        self.applied["optim_step"] += 1
        return super().optim_step(model_id, adam)


@pytest.mark.parametrize("seed", [3, 4])
def test_038_dropped_connections_never_apply_a_step_twice(seed: int, seen: _Seen) -> None:
    """The server takes each request, then (at a seeded rate) cuts the connection before answering or
    answers 503; the client resends the same protobuf bytes with the same idempotency key and the server
    replays: every forward_backward and optim_step the user made is applied exactly once."""
    backend = _Counting()
    with (
        LocalServer(backend=backend, long_poll_s=0.5, faults=f"drop=0.2,5xx=0.1,seed={seed}") as srv,
        _waits.zero_waits(),
        _client(srv.base_url) as sc,
    ):
        model = sc.get_server_capabilities().supported_models[0].model_name
        tc = sc.create_lora_training_client(base_model=model, rank=4, seed=0)
        assert sc._rt.protocol == "0.38"
        futures = []
        for i in range(8):
            futures.append(tc.forward_backward([_datum([1, 2, 3, 4 + i])], "cross_entropy"))
            futures.append(tc.optim_step(AdamParams(learning_rate=1e-3)))
        for f in futures:
            f.result(timeout=60)
    assert seen.proto >= 8
    assert dict(backend.applied) == {"forward_backward": 8, "optim_step": 8}
