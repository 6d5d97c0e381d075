"""TrainingClient over the fake server: call-order seq_ids, pipelining, chunking and merged metrics,
a failing or cancelled request never blocking later ones, checkpoints, custom loss, tokenizer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import ServiceClient
from tinkex.types import AdamParams, Datum, ModelInput


def _datum(tokens: list[int]) -> Datum:
    return Datum(
        model_input=ModelInput.from_ints(tokens),
        loss_fn_inputs={"target_tokens": [t + 1 for t in tokens], "weights": [1.0] * len(tokens)},
    )


def _seq_ids(server: FakeTinker) -> list[tuple[str, int]]:
    training = {
        "forward",
        "forward_backward",
        "optim_step",
        "save_weights",
        "load_weights",
        "save_weights_for_sampler",
    }
    return [(c.op, c.body["seq_id"]) for c in server.calls if c.op in training]


def _wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def test_seq_ids_follow_call_order_starting_at_1(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    futs: list[Any] = []
    for i in range(3):
        futs.append(tc.forward_backward([_datum([i, i + 1])], "cross_entropy"))
        futs.append(tc.optim_step(AdamParams(learning_rate=1e-4)))
    futs.append(tc.save_state("ck"))
    futs.append(tc.save_weights_for_sampler("s"))
    futs.append(tc.load_state("tinker://x/weights/ck"))
    for f in futs:
        f.result(timeout=10)
    assert _seq_ids(server) == [
        ("forward_backward", 1),
        ("optim_step", 2),
        ("forward_backward", 3),
        ("optim_step", 4),
        ("forward_backward", 5),
        ("optim_step", 6),
        ("save_weights", 7),
        ("save_weights_for_sampler", 8),
        ("load_weights", 9),
    ]


def test_calls_from_many_threads_keep_their_reservation_order(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    lock = threading.Lock()
    order: list[float] = []
    futs: list[Any] = []

    def worker(lr: float) -> None:
        with lock:  # reservation order == the order this lock is taken
            order.append(lr)
            futs.append(tc.optim_step(AdamParams(learning_rate=lr)))

    threads = [threading.Thread(target=worker, args=(i / 100,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for f in futs:
        f.result(timeout=10)
    sent = sorted(server.ops("optim_step"), key=lambda c: c.body["seq_id"])
    assert [c.body["adam_params"]["learning_rate"] for c in sent] == order
    assert [c.body["seq_id"] for c in sent] == list(range(1, 9))


async def test_forward_backward_and_optim_step_async_both_go_out_before_awaiting(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = await client.create_lora_training_client_async(base_model="tiny-model", rank=4)
    gate = threading.Event()
    server.hold["forward_backward"] = gate  # its result stays pending until released
    fb = await tc.forward_backward_async([_datum([1, 2, 3])], "cross_entropy")
    opt = await tc.optim_step_async(AdamParams())
    deadline = time.monotonic() + 5
    while not (server.ops("forward_backward") and server.ops("optim_step")):
        assert time.monotonic() < deadline, "optim_step was not sent while forward_backward was pending"
        await asyncio.sleep(0.005)
    assert not fb.done()
    gate.set()
    out = await fb
    assert out.metrics["loss:sum"] == 1.0
    assert (await opt).metrics is not None


def test_large_batches_are_chunked_and_merged_in_order(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(chunk_max_datums=2)
    server.fb_metrics = lambda data: {
        "loss:sum": float(len(data)),
        "n:mean": float(len(data)),
        "m:max": float(len(data)),
    }
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    data = [_datum(list(range(n + 1))) for n in range(5)]
    out = tc.forward_backward(data, "cross_entropy").result(timeout=10)
    sent = server.ops("forward_backward")
    assert [len(c.body["forward_backward_input"]["data"]) for c in sent] == [2, 2, 1]
    assert [c.body["seq_id"] for c in sent] == [1, 2, 3]
    assert [len(o["logprobs"].data) for o in out.loss_fn_outputs] == [1, 2, 3, 4, 5]
    assert out.metrics["loss:sum"] == 5.0
    assert out.metrics["n:mean"] == pytest.approx((2 * 2 + 2 * 2 + 1 * 1) / 5)
    assert out.metrics["m:max"] == 2.0
    assert tc.optim_step(AdamParams()).result(timeout=10) is not None
    assert _seq_ids(server)[-1] == ("optim_step", 4)


def test_forward_uses_forward_endpoint_and_empty_batch_sends_nothing(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    out = tc.forward([_datum([1, 2])], "cross_entropy").result(timeout=10)
    assert out.loss_fn_outputs[0]["logprobs"].tolist() == [-1.0, -1.0]
    assert server.ops("forward")[0].body["forward_input"]["loss_fn"] == "cross_entropy"
    empty = tc.forward_backward([], "cross_entropy").result(timeout=1)
    assert empty.loss_fn_outputs == []
    assert len(server.ops("forward_backward")) == 0


def test_a_chunk_failing_mid_batch_fails_the_call_and_never_blocks_the_next(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(chunk_max_datums=1)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    ok = lambda req: server.default("forward_backward", req)  # noqa: E731
    server.script("forward_backward", ok, json_response(400, {"detail": "chunk 2 is bad"}))
    fut = tc.forward_backward([_datum([1]), _datum([2]), _datum([3])], "cross_entropy")
    with pytest.raises(tinkex.BadRequestError, match="chunk 2 is bad"):
        fut.result(timeout=10)
    assert len(server.ops("forward_backward")) == 2  # the third chunk was never sent
    assert tc.optim_step(AdamParams()).result(timeout=10) is not None
    # The rejected chunk 2 left no gap: optim_step takes its seq_id.
    assert _seq_ids(server) == [("forward_backward", 1), ("forward_backward", 2), ("optim_step", 2)]


def test_a_failed_result_never_blocks_later_requests(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.poll_script("forward_backward", json_response(200, {"error": "boom", "category": "server"}))
    fb = tc.forward_backward([_datum([1])], "cross_entropy")
    opt = tc.optim_step(AdamParams())
    with pytest.raises(tinkex.RequestFailedError):
        fb.result(timeout=10)
    assert opt.result(timeout=10) is not None


def test_cancelled_request_waiting_for_its_turn_never_blocks_the_next(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    release = threading.Event()

    async def slow_submit(request: httpx.Request) -> httpx.Response:
        # The release comes from the test thread, so a threading.Event polled without blocking the loop.
        while not release.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        return server.default("forward_backward", request)

    server.script("forward_backward", slow_submit)
    first = tc.forward_backward([_datum([1])], "cross_entropy")  # its POST stalls
    _wait_for(lambda: len(server.ops("forward_backward")) == 1)
    second = tc.forward_backward([_datum([2])], "cross_entropy")  # waits for its turn
    time.sleep(0.05)
    assert second.cancel()
    third = tc.optim_step(AdamParams())
    release.set()
    assert first.result(timeout=10) is not None
    assert third.result(timeout=10) is not None
    # The cancelled request never went out and left no seq_id gap.
    assert _seq_ids(server) == [("forward_backward", 1), ("optim_step", 2)]


def test_checkpoint_operations(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    assert tc.save_state("a").result(timeout=10).path == f"tinker://{tc.model_id}/weights/a"
    tc.load_state("tinker://r/weights/a").result(timeout=10)
    tc.load_state_with_optimizer("tinker://r/weights/a").result(timeout=10)
    assert [c.body["optimizer"] for c in server.ops("load_weights")] == [False, True]
    sampler = tc.save_weights_for_sampler("s").result(timeout=10)
    assert sampler.path == f"tinker://{tc.model_id}/sampler_weights/s"
    sc1 = tc.save_weights_and_get_sampling_client()
    sc2 = tc.save_weights_and_get_sampling_client(name="ignored")
    ephemeral = [c.body for c in server.ops("save_weights_for_sampler") if "path" not in c.body]
    assert [b["sampling_session_seq_id"] for b in ephemeral] == [0, 1]
    assert sc1.sampling_session_id != sc2.sampling_session_id
    sc3 = tc.create_sampling_client(sampler.path)
    assert server.ops("create_sampling_session")[-1].body["model_path"] == sampler.path
    assert sc3.sampling_session_id.endswith(":sample:2")


async def test_async_twins(server: FakeTinker, client: ServiceClient) -> None:
    tc = await client.create_lora_training_client_async(base_model="tiny-model", rank=4)
    out = await (await tc.forward_async([_datum([1])], "cross_entropy"))
    assert out.loss_fn_outputs
    assert (await (await tc.save_state_async("x"))).path.endswith("/weights/x")
    await (await tc.load_state_async("tinker://r/weights/x"))
    await (await tc.load_state_with_optimizer_async("tinker://r/weights/x"))
    assert (await (await tc.save_weights_for_sampler_async("y"))).path.endswith("/sampler_weights/y")
    sc = await tc.save_weights_and_get_sampling_client_async()
    assert sc.sampling_session_id
    assert (await tc.get_info_async()).model_id == tc.model_id
    sc2 = await tc.create_sampling_client_async("tinker://r/sampler_weights/y")
    assert sc2.sampling_session_id


def test_create_model_body_and_from_state(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(
        base_model="tiny-model", rank=8, seed=3, train_unembed=False, user_metadata={"exp": "1"}
    )
    body = server.ops("create_model")[0].body
    assert body["model_seq_id"] == 0
    assert body["session_id"] == "sess-1"
    assert body["lora_config"] == {
        "rank": 8,
        "seed": 3,
        "train_unembed": False,
        "train_mlp": True,
        "train_attn": True,
    }
    assert body["user_metadata"] == {"exp": "1"}
    assert tc.model_id == "sess-1:train:0"
    tc2 = client.create_training_client_from_state("tinker://run-1/weights/ck")
    tc3 = client.create_training_client_from_state_with_optimizer("tinker://run-1/weights/ck")
    assert [c.body["model_seq_id"] for c in server.ops("create_model")] == [0, 1, 2]
    assert server.ops("create_model")[1].body["lora_config"]["rank"] == 4  # from weights_info
    assert [c.body["optimizer"] for c in server.ops("load_weights")] == [False, True]
    assert tc2.model_id != tc3.model_id


def test_create_lora_validates_locally(client: ServiceClient, server: FakeTinker) -> None:
    with pytest.raises(tinkex.TinkexValidationError):
        client.create_lora_training_client(
            "tiny-model", train_mlp=False, train_attn=False, train_unembed=False
        )
    with pytest.raises(ValueError, match="rank"):
        client.create_lora_training_client("tiny-model", rank=0)
    assert not server.ops("create_model")


def test_create_model_failure_surfaces(server: FakeTinker, client: ServiceClient) -> None:
    server.poll_script(
        "create_model", json_response(200, {"error": "unknown base model", "category": "user"})
    )
    with pytest.raises(tinkex.RequestFailedError, match="unknown base model"):
        client.create_lora_training_client(base_model="nope")


def test_forward_backward_custom_runs_loss_on_callers_thread(
    server: FakeTinker, client: ServiceClient
) -> None:
    torch = pytest.importorskip("torch")
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    threads: list[str] = []

    def loss_fn(data: list[Datum], logprobs: list[Any]) -> tuple[Any, dict[str, float]]:
        threads.append(threading.current_thread().name)
        loss = sum((2.0 * lp).sum() for lp in logprobs)
        return loss, {"custom:sum": float(loss.detach())}

    out = tc.forward_backward_custom([_datum([1, 2]), _datum([3])], loss_fn).result(timeout=10)
    assert threads == [threading.current_thread().name]
    assert [c.op for c in server.calls if c.op in ("forward", "forward_backward")] == [
        "forward",
        "forward_backward",
    ]
    sent = server.ops("forward_backward")[0].body["forward_backward_input"]
    assert sent["loss_fn"] == "cross_entropy"
    assert [d["loss_fn_inputs"]["weights"]["data"] for d in sent["data"]] == [[-2.0, -2.0], [-2.0]]
    assert [d["loss_fn_inputs"]["target_tokens"]["data"] for d in sent["data"]] == [[2, 3], [4]]
    assert out.metrics["custom:sum"] == pytest.approx(-6.0)
    assert "loss:sum" in out.metrics
    assert torch is not None


async def test_forward_backward_custom_async(server: FakeTinker, client: ServiceClient) -> None:
    pytest.importorskip("torch")
    tc = await client.create_lora_training_client_async(base_model="tiny-model", rank=4)
    fut = await tc.forward_backward_custom_async([_datum([1, 2])], lambda d, lps: (lps[0].sum(), {}))
    out = await fut
    assert out.loss_fn_outputs
    assert server.ops("forward_backward")[0].body["forward_backward_input"]["data"][0]["loss_fn_inputs"][
        "weights"
    ]["data"] == [-1.0, -1.0]


def test_get_info_and_local_tokenizer(server: FakeTinker, client: ServiceClient, tmp_path: Any) -> None:
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {"[UNK]": 0, "hello": 1, "world": 2}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(tmp_path)
    server.tokenizer_id = str(tmp_path)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    assert tc.get_info().model_data.tokenizer_id == str(tmp_path)
    tokenizer = tc.get_tokenizer()
    assert tokenizer.encode("hello world", add_special_tokens=False) == [1, 2]
    assert tc.get_tokenizer() is tokenizer


def test_sampling_clients_from_a_training_client_share_its_tokenizer(
    server: FakeTinker, client: ServiceClient, tmp_path: Any
) -> None:
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0, "hi": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(tmp_path)
    server.tokenizer_id = str(tmp_path)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    sc = tc.save_weights_and_get_sampling_client()
    assert sc.get_tokenizer().encode("hi", add_special_tokens=False) == [1]
    sc2 = tc.create_sampling_client("tinker://r/sampler_weights/s")
    assert sc2.get_tokenizer() is sc.get_tokenizer()


def test_a_malformed_metric_key_in_chunked_results_is_a_clear_response_error(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(chunk_max_datums=1)
    server.fb_metrics = lambda data: {"loss": 1.0}
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    fut = tc.forward_backward([_datum([1]), _datum([2])], "cross_entropy")
    with pytest.raises(tinkex.APIResponseValidationError, match=r"'loss'.*name:reduction") as info:
        fut.result(timeout=10)
    assert info.value.request_id == fut.request_id
    assert isinstance(info.value.__cause__, tinkex.TinkexValidationError)
    # The client stays usable.
    assert tc.optim_step(AdamParams()).result(timeout=10) is not None


def test_a_retried_training_step_keeps_its_seq_id_and_idempotency_key(
    server: FakeTinker, client: ServiceClient
) -> None:
    # A retry must never look like a second training step to the server.
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.script("forward_backward", json_response(503), httpx.ReadError("reset"), httpx.ReadTimeout("slow"))
    server.script("save_weights_for_sampler", json_response(502))
    tc.forward_backward([_datum([1, 2])], "cross_entropy").result(timeout=10)
    tc.save_weights_and_get_sampling_client()
    tc.optim_step(AdamParams()).result(timeout=10)
    fb = server.ops("forward_backward")
    assert len(fb) == 4
    assert {c.body["seq_id"] for c in fb} == {1}
    assert len({c.headers["x-idempotency-key"] for c in fb}) == 1
    saves = server.ops("save_weights_for_sampler")
    assert len(saves) == 2
    assert {c.body["seq_id"] for c in saves} == {2}
    assert {c.body["sampling_session_seq_id"] for c in saves} == {0}  # the official client changes it
    assert len({c.headers["x-idempotency-key"] for c in saves}) == 1
    assert server.ops("optim_step")[0].body["seq_id"] == 3


def test_a_rejected_request_gives_its_seq_id_to_the_next(server: FakeTinker, client: ServiceClient) -> None:
    # A 4xx (after any retries of 429/408) means the server did not take the request: reusing its
    # seq_id keeps the server's per-model order gap-free. A 5xx is ambiguous, so its seq_id stays used.
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.script("forward_backward", json_response(422, {"detail": "bad loss"}))
    with pytest.raises(tinkex.UnprocessableEntityError):
        tc.forward_backward([_datum([1])], "cross_entropy").result(timeout=10)
    server.script("optim_step", *[json_response(503)] * 11)
    with pytest.raises(tinkex.InternalServerError):
        tc.optim_step(AdamParams()).result(timeout=10)
    tc.save_state("s").result(timeout=10)
    assert _seq_ids(server) == [("forward_backward", 1)] + [("optim_step", 1)] * 11 + [("save_weights", 2)]


@pytest.mark.parametrize(
    ("call", "fix"),
    [
        (lambda tc: tc.save_state(""), "pass a checkpoint name"),
        (lambda tc: tc.save_weights_for_sampler(None), "pass a checkpoint name"),
        (lambda tc: tc.load_state(""), "save_state returned"),
    ],
)
def test_bad_checkpoint_names_fail_locally_saying_what_to_pass(
    server: FakeTinker, client: ServiceClient, call: Callable[[tinkex.TrainingClient], object], fix: str
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    with pytest.raises(tinkex.TinkexValidationError, match=fix):
        call(tc)
    assert (
        not server.ops("save_weights") + server.ops("load_weights") + server.ops("save_weights_for_sampler")
    )


def test_a_body_the_sdk_cannot_send_is_refused_locally_and_burns_no_seq_id(
    server: FakeTinker, client: ServiceClient
) -> None:
    # Issue 12 item 4: a token id past int64 or a lone surrogate in a name used to raise a bare
    # TypeError after the seq_id was taken; the next call then waited out the server's gap timeout.
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    with pytest.raises(tinkex.TinkexValidationError, match=r"data\[1\]\.model_input\.chunks\[0\]\.tokens"):
        tc.forward_backward([_datum([1]), _datum([2**64])], "cross_entropy")
    with pytest.raises(tinkex.TinkexValidationError, match=r"save_state\(name\).*surrogate"):
        tc.save_state("bad\ud800name")
    with pytest.raises(tinkex.TinkexValidationError, match=r"weights.*finite"):
        tc.forward_backward(
            [Datum(model_input=ModelInput.from_ints([1]), loss_fn_inputs={"weights": [float("nan")]})],
            "cross_entropy",
        )
    tc.forward_backward([_datum([1])], "cross_entropy").result(timeout=10)
    assert _seq_ids(server) == [("forward_backward", 1)]


def test_an_encoding_failure_after_validation_gives_its_seq_id_back(
    server: FakeTinker, client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever slips past validation and fails locally (here: validation switched off) must not
    # leave a seq_id gap: the request never reached the server.
    import tinkex._training_client as training

    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    monkeypatch.setattr(training, "check_datums", lambda data: list(data), raising=False)
    with pytest.raises(TypeError):
        tc.forward_backward([_datum([2**64])], "cross_entropy").result(timeout=10)
    monkeypatch.undo()
    tc.forward_backward([_datum([1])], "cross_entropy").result(timeout=10)
    tc.optim_step(AdamParams()).result(timeout=10)
    assert _seq_ids(server) == [("forward_backward", 1), ("optim_step", 2)]


def test_dict_arguments_are_coerced_as_officially_and_other_types_named(
    server: FakeTinker, client: ServiceClient
) -> None:
    # Issue 12 item 10: optim_step({...}) raised AttributeError 'to_dict'. The official SDK coerces
    # dicts into AdamParams / Datum (unknown keys refused); anything else is named with the fix.
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc.optim_step({"learning_rate": 1e-3}).result(timeout=10)  # type: ignore[arg-type]
    assert server.ops("optim_step")[0].body["adam_params"]["learning_rate"] == 1e-3
    with pytest.raises(tinkex.TinkexValidationError, match=r"adam_params: unknown key 'learning_rat'"):
        tc.optim_step({"learning_rat": 1e-3})  # type: ignore[arg-type]
    with pytest.raises(tinkex.TinkexValidationError, match=r"adam_params\.learning_rate: must be finite"):
        tc.optim_step(AdamParams(learning_rate=float("nan")))
    with pytest.raises(tinkex.TinkexValidationError, match=r"adam_params: must be AdamParams"):
        tc.optim_step([1e-3])  # type: ignore[arg-type]
    with pytest.raises(tinkex.TinkexValidationError, match=r"loss_fn_config\['clip'\]: must be finite"):
        tc.forward_backward([_datum([1])], "ppo", {"clip": float("inf")})
    with pytest.raises(tinkex.TinkexValidationError, match=r"^data: must be a list of Datum"):
        tc.forward_backward(_datum([1]), "cross_entropy")  # type: ignore[arg-type]
    tc.forward_backward([_datum([1]).to_dict()], "cross_entropy").result(timeout=10)  # type: ignore[list-item]
    assert _seq_ids(server) == [("optim_step", 1), ("forward_backward", 2)]


def test_get_tokenizer_fails_at_once_when_the_server_lists_the_model_without_one(
    server: FakeTinker, client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinkex._training_client as training_module

    def never(tokenizer_id: str) -> object:
        raise AssertionError(f"the tokenizer loader was asked for {tokenizer_id!r}")

    monkeypatch.setattr(training_module, "load_tokenizer", never)
    server.script(
        "get_server_capabilities",
        json_response(200, {"supported_models": [{"model_name": "tiny-model", "tokenizer_id": None}]}),
    )
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    with pytest.raises(tinkex.TinkexError, match=r"offers no tokenizer for 'tiny-model'"):
        tc.get_tokenizer()
