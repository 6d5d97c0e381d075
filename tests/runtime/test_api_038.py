"""The tinker 0.38 public API over the scripted fake server: client creation futures, session
display name and finish, the new keywords (sent on a 0.38 connection, refused before sending on a 0.7
one), standalone RestClient, the deprecations 0.38 announces (once)."""

from __future__ import annotations

import asyncio
import pickle
import warnings
from collections.abc import Callable, Iterator

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import ServiceClient, TinkexValidationError, types
from tinkex._deprecations import _announced
from tinkex._runtime import _core


@pytest.fixture(autouse=True)
def _fresh_deprecations() -> Iterator[None]:
    _announced.clear()
    yield
    _announced.clear()


def _datum() -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints([1, 2]), loss_fn_inputs={"target_tokens": [2, 3]}
    )


def _v038(sc: ServiceClient) -> ServiceClient:
    # What the wire negotiation sets after a 0.38 server answered client/config (this fake server
    # speaks 0.7 unless told otherwise; the negotiation itself is tested in test_wire_038.py).
    sc._rt.protocol = "0.38"
    sc._rt.wire.known = True
    return sc


def test_creation_returns_a_future_of_the_client_that_also_acts_as_it(
    server: FakeTinker, client: ServiceClient
) -> None:
    fut = client.create_lora_training_client(base_model="tiny-model", rank=4)
    assert isinstance(fut, tinkex.ClientFuture)
    assert isinstance(fut, tinkex.APIFuture)
    tc = fut.result(timeout=10)
    assert isinstance(tc, tinkex.TrainingClient)
    assert fut.future() is fut
    # 0.7.0 style: the future used as the client, announced once (FutureWarning, as 0.38 does).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fut.model_id == tc.model_id
        fut.forward_backward([_datum()], "cross_entropy").result(timeout=10)
    assert [w.category for w in caught] == [FutureWarning]
    assert ".result()" in str(caught[0].message)
    sampler = fut.save_weights_and_get_sampling_client()
    assert isinstance(sampler.result(timeout=10), tinkex.SamplingClient)
    # A SamplingClient held as its future pickles as the client.
    sfut = client.create_sampling_client(base_model="tiny-model")
    _core.set_default_http_client_factory(server.factory())
    try:
        clone = pickle.loads(pickle.dumps(sfut))
        assert isinstance(clone, tinkex.SamplingClient)
        clone._rt.close()
    finally:
        _core.set_default_http_client_factory(None)


def test_a_failed_creation_raises_at_the_call_in_sync_code(server: FakeTinker, client: ServiceClient) -> None:
    server.script("create_model", json_response(400, {"detail": "unknown base model"}))
    with pytest.raises(tinkex.BadRequestError):
        client.create_lora_training_client(base_model="tiny-model", rank=4)


async def test_in_async_code_creation_is_awaited_and_apifuture_has_coroutine(
    server: FakeTinker, client: ServiceClient
) -> None:
    fut = client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc = await fut
    assert isinstance(tc, tinkex.TrainingClient)
    out, step = await asyncio.gather(
        tc.forward_backward([_datum()], "cross_entropy").coroutine(),
        tc.optim_step(types.AdamParams()).coroutine(),
    )
    assert isinstance(out, types.ForwardBackwardOutput)
    assert isinstance(step, types.OptimStepResponse)
    sampler = await tc.create_sampling_client(tc.save_weights_for_sampler("s").result(timeout=10).path)
    assert isinstance(sampler, tinkex.SamplingClient)


def test_on_a_0_7_server_new_keywords_are_refused_before_anything_is_sent(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4).result(timeout=10)
    before = len(server.calls)
    for call in (
        lambda: tc.save_state("a", ttl_seconds=60),
        lambda: tc.save_state("a", overwrite=True),
        lambda: tc.save_weights_for_sampler("s", user_metadata={"k": "v"}),
        lambda: tc.load_state("tinker://r/weights/a", weights_access_token="tok"),
        lambda: tc.optim_step(types.DimuonParams(learning_rate=0.02)),
        lambda: tc.forward_backward([_datum()], "cross_entropy", {"mode": "fast"}),
        lambda: tc.save_weights_and_get_sampling_client(record_stability_info=True),
        lambda: client.create_lora_training_client("tiny-model", optimizer=types.DimuonOptimizerConfig()),
        lambda: client.create_rest_client().list_training_runs(access_scope="accessible"),
        lambda: client.create_rest_client().set_checkpoint_ttl_from_tinker_path("tinker://r/weights/a", 60),
    ):
        with pytest.raises(TinkexValidationError, match=r"tinker 0\.38 protocol; this one speaks 0\.7"):
            call()  # refused in the caller's thread, before a future exists
    assert len(server.calls) == before
    # Unset, the 0.7.0 bodies are exactly the old ones; Adam is simply not named.
    tc.save_state("b").result(timeout=10)
    assert server.ops("save_weights")[-1].body == {
        "model_id": tc.model_id,
        "path": "b",
        "seq_id": 1,
        "type": "save_weights",
    }
    client.create_lora_training_client("tiny-model", optimizer=types.AdamOptimizerConfig()).result(timeout=10)
    assert "optimizer_config" not in server.ops("create_model")[-1].body


def test_bad_new_keywords_name_the_field_and_the_fix(server: FakeTinker, client: ServiceClient) -> None:
    tc = _v038(client).create_lora_training_client(base_model="tiny-model", rank=4).result(timeout=10)
    for call, field in (
        (lambda: tc.save_state("a", ttl_seconds=0), "ttl_seconds"),
        (lambda: tc.save_state("a", user_metadata={"k": 1}), "user_metadata"),
        (lambda: tc.save_weights_and_get_sampling_client(kind="later"), "kind"),
        (
            lambda: tc.save_weights_and_get_sampling_client(record_stability_info="yes"),
            "record_stability_info",
        ),
        (lambda: client.create_lora_training_client("tiny-model", optimizer={"type": "sgd"}), "optimizer"),
        (lambda: client.close("finished"), "close(status=...)"),
        (
            lambda: tinkex.ServiceClient(display_name="", api_key="tml-x-123456", base_url="http://x"),
            "display_name",
        ),
    ):
        with pytest.raises(TinkexValidationError, match=field.replace("(", r"\(").replace(")", r"\)")):
            call()


def test_on_a_0_38_connection_the_new_keywords_are_sent(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    sc = _v038(make_client(display_name="sft run", project_id="proj-1"))
    tc = sc.create_lora_training_client("tiny-model", rank=4, optimizer=types.DimuonOptimizerConfig()).result(
        timeout=10
    )
    created = server.ops("create_session")[0].body
    assert (created["display_name"], created["project_id"]) == ("sft run", "proj-1")
    assert server.ops("create_model")[0].body["optimizer_config"] == {"type": "dimuon", "version": 1}
    tc.save_state("a", ttl_seconds=60, overwrite=True, user_metadata={"k": "v"}).result(timeout=10)
    body = server.ops("save_weights")[-1].body
    assert (body["ttl_seconds"], body["overwrite"], body["user_metadata"]) == (60, True, {"k": "v"})
    server.script("optim_step", lambda request: server._future("optim_step", {"metrics": {}}))
    tc.optim_step(types.DimuonParams(learning_rate=0.02)).result(timeout=10)
    step = server.ops("optim_step")[-1].body
    assert step["optim_params"]["type"] == "dimuon"
    assert "adam_params" not in step
    server.script("session_finish", httpx.Response(204))
    sc.close("errored", "out of memory")
    finish = server.ops("session_finish")
    assert len(finish) == 1
    assert finish[0].params == {"session_id": "sess-1"}
    assert finish[0].body == {
        "type": "client_finished",
        "reason": {"type": "errored"},
        "detail": "out of memory",
    }
    sc.close("success")  # idempotent: nothing more is sent
    assert len(server.ops("session_finish")) == 1


def test_the_context_manager_finishes_the_session_only_on_0_38(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    with make_client() as sc:
        sc.create_sampling_client(base_model="tiny-model").result(timeout=10)
    assert not server.ops("session_finish")  # a 0.7.0 server has no such operation
    server.script("session_finish", httpx.Response(204))

    def failing_block() -> None:
        with _v038(make_client()) as sc:
            sc.create_sampling_client(base_model="tiny-model").result(timeout=10)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_block()
    assert server.ops("session_finish")[0].body["reason"] == {"type": "errored"}


def test_a_0_38_operation_is_refused_on_a_0_7_connection(client: ServiceClient) -> None:
    with pytest.raises(TinkexValidationError, match="session_finish"):
        client.lowlevel.session_finish({"reason": {"type": "success"}}, session_id="s")


def test_deprecations_are_announced_once(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4).result(timeout=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tc.save_weights_and_get_sampling_client(name="x").result(timeout=10)
        tc.save_weights_and_get_sampling_client(name="y").result(timeout=10)
    assert [w.category for w in caught] == [DeprecationWarning]
    assert "name" in str(caught[0].message)


def test_a_standalone_rest_client(server: FakeTinker) -> None:
    _core.set_default_http_client_factory(server.factory())
    try:
        with tinkex.RestClient(base_url="http://fake.test", api_key="tml-test-key-123456") as rc:
            page = rc.list_training_runs(limit=5).result(timeout=10)
            assert isinstance(page, types.TrainingRunsResponse)
            assert server.ops("list_training_runs")[-1].query == {"limit": "5", "offset": "0"}
            rc._rt.protocol = "0.38"  # as the negotiation would set it against a 0.38 server
            rc._rt.wire.known = True
            rc.list_training_runs(access_scope="accessible", project_id="p").result(timeout=10)
            assert server.ops("list_training_runs")[-1].query == {
                "limit": "20", "offset": "0", "access_scope": "accessible", "project_id": "p"
            }  # fmt: skip
            server.script("set_checkpoint_ttl", httpx.Response(204))
            assert (
                rc.set_checkpoint_ttl_from_tinker_path("tinker://run-1/weights/a", 60).result(timeout=10)
                is None
            )
            ttl = server.ops("set_checkpoint_ttl")[-1]
            assert ttl.params == {
                "training_run_id": "run-1",
                "checkpoint_kind": "weights",
                "checkpoint_name": "a",
            }
            assert ttl.body == {"ttl_seconds": 60}
        assert not server.ops("create_session")  # a RestClient alone makes no session
    finally:
        _core.set_default_http_client_factory(None)


def test_the_new_sample_fields_are_sent_only_when_set_and_only_on_0_38(
    server: FakeTinker, client: ServiceClient
) -> None:
    sampler = client.create_sampling_client(base_model="tiny-model").result(timeout=10)
    prompt, params = types.ModelInput.from_ints([1, 2]), types.SamplingParams(max_tokens=2)
    with pytest.raises(TinkexValidationError, match="topk_sample_logprobs"):
        sampler.sample(prompt, 1, params, topk_sample_logprobs=3)
    sampler.sample(prompt, 1, params).result(timeout=10)
    assert "topk_sample_logprobs" not in server.ops("asample")[-1].body
    _v038(client)
    sampler.sample(prompt, 1, params, topk_sample_logprobs=3, prompt_logprobs_last_n=1).result(timeout=10)
    body = server.ops("asample")[-1].body
    assert (body["topk_sample_logprobs"], body["prompt_logprobs_last_n"]) == (3, 1)
    with pytest.raises(TinkexValidationError, match="prompt_alt_tokens_k"):
        sampler.sample(prompt, 1, params, prompt_alt_tokens_k=-1)
