"""The tinkex runtime end to end against the local server's null backend on 127.0.0.1: pipelined
training, chunking, checkpoints, concurrent sampling, REST, injected faults and session expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("tinkex_server")

import tinkex
from tinkex._runtime import _waits
from tinkex.types import AdamParams, Datum, ModelInput, SamplingParams
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

pytestmark = pytest.mark.e2e


def _datum(tokens: list[int]) -> Datum:
    return Datum(
        model_input=ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * (len(tokens) - 1)},
    )


def _client(url: str, **kwargs: Any) -> tinkex.ServiceClient:
    return tinkex.ServiceClient(api_key=DEFAULT_DEV_API_KEY, base_url=url, telemetry=False, **kwargs)


def _no_sdk_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name.startswith("tinkex-loop")]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(backend="null", long_poll_s=0.5) as srv:
        yield srv


def test_training_sampling_and_rest_flow(server: LocalServer) -> None:
    with _client(server.base_url, chunk_max_datums=3) as sc:
        model = sc.get_server_capabilities().supported_models[0].model_name
        assert model
        tc = sc.create_lora_training_client(base_model=model, rank=4, seed=0)
        batch = [_datum([1, 2, 3, 4, 5 + i]) for i in range(7)]  # 3 chunks
        fb = tc.forward_backward(batch, "cross_entropy")
        opt = tc.optim_step(AdamParams(learning_rate=1e-3))
        out = fb.result(timeout=60)
        assert len(out.loss_fn_outputs) == 7
        assert "loss:sum" in out.metrics
        assert opt.result(timeout=60) is not None

        state = tc.save_state("e2e-state").result(timeout=60).path
        sampler_path = tc.save_weights_for_sampler("e2e-sampler").result(timeout=60).path
        tc2 = sc.create_training_client_from_state_with_optimizer(state)
        assert tc2.model_id != tc.model_id

        sampler = sc.create_sampling_client(model_path=sampler_path)
        prompt = ModelInput.from_ints([1, 2, 3])
        params = SamplingParams(max_tokens=4, seed=3)
        results = tinkex.wait_all([sampler.sample(prompt, 1, params) for _ in range(64)], timeout=120)
        assert len({tuple(r.sequences[0].tokens) for r in results}) == 1  # same seed, same tokens
        logprobs = sampler.compute_logprobs(prompt).result(timeout=60)
        assert len(logprobs) == 3
        assert logprobs[0] is None
        ephemeral = tc.save_weights_and_get_sampling_client()
        assert ephemeral.sample(prompt, 2, params).result(timeout=60).sequences

        rc = sc.create_rest_client()
        run = rc.get_training_run(tc.model_id).result(timeout=60)
        assert run.training_run_id == tc.model_id
        paths = {c.tinker_path for c in rc.list_checkpoints(tc.model_id).result(timeout=60).checkpoints}
        assert {state, sampler_path} <= paths
        assert rc.get_checkpoint_archive_url_from_tinker_path(state).result(timeout=60).url
        rc.publish_checkpoint_from_tinker_path(state).result(timeout=60)
        started = time.monotonic()
        with pytest.raises(tinkex.ConflictError):
            rc.publish_checkpoint_from_tinker_path(state).result(timeout=60)
        assert time.monotonic() - started < 5  # reported at once, not retried for minutes
        assert any(True for _ in rc.iter_user_checkpoints(page_size=1))
    assert _no_sdk_threads()


async def test_async_pipelining(server: LocalServer) -> None:
    async with _client(server.base_url) as sc:
        caps = await sc.get_server_capabilities_async()
        tc = await sc.create_lora_training_client_async(
            base_model=caps.supported_models[0].model_name, rank=4
        )
        fbs, opts = [], []
        for i in range(3):
            fbs.append(await tc.forward_backward_async([_datum([1, 2, 3 + i])], "cross_entropy"))
            opts.append(await tc.optim_step_async(AdamParams()))
        outs = await tinkex.gather_async(fbs + opts, timeout=60)  # type: ignore[arg-type]
        assert len(outs) == 6
    assert _no_sdk_threads()


def test_injected_faults_never_hang_or_corrupt(tmp_path: Any) -> None:
    faults = "5xx=0.15,drop=0.05,expire=0.1,429=0.1@100ms,seed=7"
    with (
        LocalServer(backend="null", long_poll_s=0.3, faults=faults, data_dir=tmp_path) as srv,
        _waits.zero_waits(),
        _client(srv.base_url, max_retries=30) as sc,
    ):
        model = sc.get_server_capabilities().supported_models[0].model_name
        tc = sc.create_lora_training_client(base_model=model, rank=4)
        futs: list[Any] = []
        for i in range(5):
            futs.append(tc.forward_backward([_datum([1, 2, 3, i + 4])], "cross_entropy"))
            futs.append(tc.optim_step(AdamParams()))
        done = 0
        for f in futs:
            try:
                f.result(timeout=60)
                done += 1
            except tinkex.GoneError:
                pass  # an expired training result fails clearly; it never hangs
        assert done >= 5
        sampler = sc.create_sampling_client(base_model=model)
        samples = tinkex.wait_all(
            [
                sampler.sample(ModelInput.from_ints([1, 2]), 1, SamplingParams(max_tokens=2))
                for _ in range(20)
            ],
            timeout=120,
        )
        assert len(samples) == 20
    assert _no_sdk_threads()


def test_session_expiry_raises_session_lost(tmp_path: Any) -> None:
    with (
        LocalServer(backend="null", long_poll_s=0.3, session_timeout_s=0.5, data_dir=tmp_path) as srv,
        _client(srv.base_url, heartbeat_interval=60.0) as sc,
    ):
        model = sc.get_server_capabilities().supported_models[0].model_name
        tc = sc.create_lora_training_client(base_model=model, rank=4)
        time.sleep(1.0)  # no heartbeat in time: the server expires the session
        with pytest.raises(tinkex.SessionLostError):
            tc.optim_step(AdamParams()).result(timeout=30)
        with pytest.raises(tinkex.SessionLostError):
            tc.optim_step(AdamParams())
    assert _no_sdk_threads()


def test_heartbeats_keep_the_session_alive(tmp_path: Any) -> None:
    with (
        LocalServer(backend="null", long_poll_s=0.3, session_timeout_s=1.0, data_dir=tmp_path) as srv,
        _client(srv.base_url, heartbeat_interval=0.2) as sc,
    ):
        model = sc.get_server_capabilities().supported_models[0].model_name
        tc = sc.create_lora_training_client(base_model=model, rank=4)
        time.sleep(1.5)  # longer than the session timeout: only the heartbeats keep it alive
        assert tc.optim_step(AdamParams()).result(timeout=30) is not None


def test_a_request_the_server_rejects_leaves_no_seq_id_gap(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server runs a model's requests in seq_id order and parks one whose predecessor never
    # came (for minutes); a rejected request must not burn a seq_id, or every later call stalls.
    # The local loss check would catch the unknown loss first: let it through to the server.
    monkeypatch.setattr("tinkex._training_client.check_loss_request", lambda *args: None)
    with _client(server.base_url) as sc:
        model = sc.get_server_capabilities().supported_models[0].model_name
        tc = sc.create_lora_training_client(base_model=model, rank=4)
        # Over JSON the server refuses the body (422); over protobuf (the local server speaks 0.38) the
        # request is taken and its future fails as the user's: either way no seq_id gap is left.
        with pytest.raises((tinkex.UnprocessableEntityError, tinkex.RequestFailedError)):
            tc.forward_backward([_datum([1, 2, 3])], "no-such-loss").result(timeout=30)  # type: ignore[arg-type]
        started = time.monotonic()
        assert tc.forward_backward([_datum([1, 2, 3])], "cross_entropy").result(timeout=30).metrics
        assert tc.optim_step(AdamParams()).result(timeout=30) is not None
        assert time.monotonic() - started < 20
