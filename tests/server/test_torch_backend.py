"""The torch backend on the built-in micro model: gradient accumulation, training, forward without
backward, sampling by seed and stops, prompt logprobs, checkpoints round trips, user errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tinkex_server.backends.base import AdamSpec, Backend, DimuonSpec, LoraSpec, SamplingSpec, UserInputError
from tinkex_server.backends.torch_backend import TorchBackend, lora_target_modules

MODEL = "tinkex/micro-llama"
BOS, EOS = 256, 257


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> TorchBackend:
    return TorchBackend(cache_dir=tmp_path_factory.mktemp("models"), device="cpu")


_ids = iter(range(10**6))


def _model(be: TorchBackend, **lora: Any) -> str:
    model_id = f"sess:train:{next(_ids)}"
    be.create_model(model_id, MODEL, LoraSpec(**{"rank": 4, "seed": 0, **lora}))
    return model_id


def _td(data: list[Any], dtype: str) -> dict[str, Any]:
    return {"data": data, "dtype": dtype, "shape": [len(data)]}


def _ce(text: str, weights: list[float] | None = None) -> dict[str, Any]:
    seq = [BOS, *text.encode(), EOS]
    w = weights if weights is not None else [1.0] * (len(seq) - 1)
    return {
        "model_input": {"chunks": [{"type": "encoded_text", "tokens": seq[:-1]}]},
        "loss_fn_inputs": {"target_tokens": _td(seq[1:], "int64"), "weights": _td(w, "float32")},
    }


def _grads(be: TorchBackend, model_id: str) -> list[torch.Tensor]:
    tr = be._trainers[model_id]
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in tr.params]


def test_it_implements_the_backend_protocol_and_reports_local_tokenizers(backend: TorchBackend) -> None:
    assert isinstance(backend, Backend)
    infos = {m.name: m for m in backend.supported_models()}
    assert set(infos) == {"tinkex/tiny-llama", MODEL}
    assert infos[MODEL].arch == "llama"
    tokenizer_id = infos[MODEL].tokenizer_id
    assert tokenizer_id is not None
    assert (Path(tokenizer_id) / "tokenizer.json").is_file()


def test_lora_flags_select_attention_mlp_and_output_head() -> None:
    names = ["m.l.0.self_attn.q_proj", "m.l.0.self_attn.o_proj", "m.l.0.mlp.down_proj", "lm_head"]
    assert lora_target_modules(names, "lm_head", LoraSpec(rank=1)) == names
    only_head = LoraSpec(rank=1, train_attn=False, train_mlp=False)
    assert lora_target_modules(names, "lm_head", only_head) == ["lm_head"]
    assert (
        lora_target_modules(names, "lm_head", LoraSpec(rank=1, train_unembed=False))[-1]
        == "m.l.0.mlp.down_proj"
    )


def test_fresh_lora_computes_the_base_model_and_is_seeded(backend: TorchBackend) -> None:
    a, b = _model(backend), _model(backend)
    out_a = backend.forward_backward(a, [_ce("hello")], "cross_entropy", None, False)
    backend.create_sampler("base-0", MODEL, None)
    prompt = [BOS, *b"hello"]
    base = backend.sample("base-0", prompt, 1, SamplingSpec(max_tokens=1), True, 0)
    # B = 0 at init: the adapter adds nothing; training positions agree with the sampler's prompt logprobs
    assert out_a["loss_fn_outputs"][0]["logprobs"]["data"][:-1] == pytest.approx(
        base["prompt_logprobs"][1:], abs=1e-5
    )
    pa = [p.detach().clone() for p in backend._trainers[a].params]
    pb = [p.detach().clone() for p in backend._trainers[b].params]
    assert all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))  # same seed, same A


def test_forward_outputs_per_token_logprobs_loss_and_no_gradient(backend: TorchBackend) -> None:
    m = _model(backend)
    datum = _ce("abc", weights=[0.0, 1.0, 1.0, 0.5])
    out = backend.forward_backward(m, [datum], "cross_entropy", None, False)
    assert out["loss_fn_output_type"]
    (row,) = out["loss_fn_outputs"]
    lp, el = row["logprobs"], row["elementwise_loss"]
    assert lp["shape"] == el["shape"] == [4]
    assert lp["dtype"] == "float32"
    expected = [-w * x for w, x in zip([0.0, 1.0, 1.0, 0.5], lp["data"], strict=True)]
    assert el["data"] == pytest.approx(expected, abs=1e-6)
    assert out["metrics"]["loss:sum"] == pytest.approx(sum(expected), abs=1e-5)
    assert all(p.grad is None for p in backend._trainers[m].params)


def test_gradients_accumulate_across_calls_until_optim_step(backend: TorchBackend) -> None:
    m = _model(backend)
    d1, d2 = _ce("one"), _ce("two words")
    backend.forward_backward(m, [d1, d2], "cross_entropy", None, True)
    together = _grads(backend, m)
    backend._trainers[m].optimizer.zero_grad(set_to_none=True)
    backend.forward_backward(m, [d1], "cross_entropy", None, True)
    backend.forward_backward(m, [d2], "cross_entropy", None, True)
    for x, y in zip(together, _grads(backend, m), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)
    backend.optim_step(m, AdamSpec(learning_rate=1e-3))
    assert all(p.grad is None for p in backend._trainers[m].params)


@pytest.mark.parametrize(
    "loss_fn", ["cross_entropy", "importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce"]
)
def test_every_loss_runs_and_training_lowers_it(backend: TorchBackend, loss_fn: str) -> None:
    m = _model(backend)

    def datum() -> dict[str, Any]:
        d = _ce("12+3=15")
        if loss_fn != "cross_entropy":
            # On-policy (q = current logprobs) with positive advantages is likelihood ascent too.
            n = len(d["loss_fn_inputs"]["target_tokens"]["data"])
            out = backend.forward_backward(m, [d], "cross_entropy", None, False)
            d["loss_fn_inputs"] = {
                "target_tokens": d["loss_fn_inputs"]["target_tokens"],
                "logprobs": out["loss_fn_outputs"][0]["logprobs"],
                "advantages": _td([1.0] * n, "float32"),
            }
        return d

    def nll() -> float:
        out = backend.forward_backward(m, [_ce("12+3=15")], "cross_entropy", None, False)
        return float(out["metrics"]["loss:sum"])

    before = nll()
    for _ in range(8):
        d = datum()
        n = len(d["loss_fn_inputs"]["target_tokens"]["data"])
        out = backend.forward_backward(m, [d], loss_fn, None, True)
        (row,) = out["loss_fn_outputs"]
        assert set(row) == {"logprobs", "elementwise_loss"}
        for tensor in row.values():  # exactly the TensorData keys, one value per input position
            assert set(tensor) == {"data", "dtype", "shape"}
            assert (tensor["dtype"], tensor["shape"], len(tensor["data"])) == ("float32", [n], n)
        assert out["metrics"]["loss:sum"] == pytest.approx(sum(row["elementwise_loss"]["data"]), abs=1e-4)
        step = backend.optim_step(m, AdamSpec(learning_rate=2e-2))
        # the client splits every metric key on ":" when merging chunks: exactly one colon each
        assert all(k.count(":") == 1 for k in [*out["metrics"], *step])
    assert nll() < 0.8 * before


def test_bad_requests_are_user_errors_naming_the_field(backend: TorchBackend) -> None:
    m = _model(backend)
    image = {
        "model_input": {"chunks": [{"type": "image", "data": "AA==", "format": "png"}]},
        "loss_fn_inputs": {},
    }
    oov = _ce("x")
    oov["model_input"]["chunks"][0]["tokens"] = [BOS, 999]
    missing = _ce("x")
    cases = [
        ([image], "cross_entropy", r"data\[0\]\.model_input\.chunks\[0\] is an image chunk"),
        ([oov], "cross_entropy", r"data\[0\]\.model_input.* outside the vocabulary"),
        ([_ce("ok"), missing], "ppo", r"data\[0\]\.loss_fn_inputs\.logprobs is required"),
        ([_ce("x", weights=[1.0])], "cross_entropy", r"weights has 1 elements but model_input has 2"),
    ]
    for data, loss_fn, message in cases:
        with pytest.raises(UserInputError, match=message):
            backend.forward_backward(m, data, loss_fn, None, True)
    assert all(p.grad is None for p in backend._trainers[m].params)  # nothing half-applied
    with pytest.raises(UserInputError, match="base_model 'nope'"):
        backend.create_model("x:1", "nope", LoraSpec(rank=4))
    with pytest.raises(UserInputError, match="select no layer"):
        backend.create_model(
            "x:2", MODEL, LoraSpec(rank=4, train_attn=False, train_mlp=False, train_unembed=False)
        )
    with pytest.raises(UserInputError, match="model_id 'ghost'"):
        backend.optim_step("ghost", AdamSpec())


def test_sampling_is_reproducible_by_seed_and_reports_logprobs(backend: TorchBackend) -> None:
    backend.create_sampler("base-1", MODEL, None)
    params = SamplingSpec(max_tokens=12, seed=42, stop_given_empty=True)
    first = backend.sample("base-1", [BOS, 104], 3, params, False, 0)
    again = backend.sample("base-1", [BOS, 104], 3, params, False, 0)
    assert first["sequences"] == again["sequences"]
    assert len(first["sequences"]) == 3
    for seq in first["sequences"]:
        assert len(seq["tokens"]) == len(seq["logprobs"]) == 12
        assert seq["stop_reason"] == "length"
        assert all(lp <= 0.0 for lp in seq["logprobs"])
    other = backend.sample("base-1", [BOS, 104], 3, SamplingSpec(max_tokens=12, seed=43), False, 0)
    assert other["sequences"] != first["sequences"]
    assert first["prompt_logprobs"] is None
    assert first["topk_prompt_logprobs"] is None


def test_sampling_in_parts_equals_one_call(backend: TorchBackend) -> None:
    # The server splits a big asample into parts (first_index = where each part starts).
    backend.create_sampler("base-parts", MODEL, None)
    params = SamplingSpec(max_tokens=6, seed=7, stop_given_empty=True)
    whole = backend.sample("base-parts", [BOS, 104], 3, params, False, 0)["sequences"]
    head = backend.sample("base-parts", [BOS, 104], 2, params, False, 0)["sequences"]
    tail = backend.sample("base-parts", [BOS, 104], 1, params, False, 0, first_index=2)["sequences"]
    parts = head + tail
    assert [s["tokens"] for s in parts] == [s["tokens"] for s in whole]
    # The same tokens; logprobs of a smaller batch may differ in float32 rounding only.
    for a, b in zip(parts, whole, strict=True):
        assert a["logprobs"] == pytest.approx(b["logprobs"], abs=1e-5)


def test_stop_tokens_and_strings_end_sequences_with_reason_stop(backend: TorchBackend) -> None:
    backend.create_sampler("base-2", MODEL, None)
    greedy = backend.sample(
        "base-2", [BOS, 97], 1, SamplingSpec(max_tokens=8, temperature=0.0, stop_given_empty=True), False, 0
    )
    tokens = greedy["sequences"][0]["tokens"]
    stop_tok = tokens[2]
    by_token = backend.sample(
        "base-2",
        [BOS, 97],
        1,
        SamplingSpec(max_tokens=8, temperature=0.0, stop_token_ids=(stop_tok,)),
        False,
        0,
    )
    seq = by_token["sequences"][0]
    assert seq["stop_reason"] == "stop"
    assert seq["tokens"] == tokens[: tokens.index(stop_tok) + 1]  # the stop token is included
    byte_tokens = [t for t in tokens if t < 256]
    if byte_tokens:
        text = bytes([byte_tokens[0]]).decode("latin-1")
        if text.isprintable() and byte_tokens[0] < 128:
            by_string = backend.sample(
                "base-2",
                [BOS, 97],
                1,
                SamplingSpec(max_tokens=8, temperature=0.0, stop_strings=(text,)),
                False,
                0,
            )
            assert by_string["sequences"][0]["stop_reason"] == "stop"
            assert by_string["sequences"][0]["tokens"][-1] == byte_tokens[0]


def test_prompt_logprobs_and_topk_shapes(backend: TorchBackend) -> None:
    backend.create_sampler("base-3", MODEL, None)
    prompt = [BOS, *b"hey you"]
    out = backend.sample("base-3", prompt, 1, SamplingSpec(max_tokens=1), True, 3)
    assert len(out["prompt_logprobs"]) == len(prompt)
    assert out["prompt_logprobs"][0] is None
    topk = out["topk_prompt_logprobs"]
    assert len(topk) == len(prompt)
    assert topk[0] is None
    for j, row in enumerate(topk[1:], start=1):
        assert len(row) == 3
        values = [v for _, v in row]
        assert values == sorted(values, reverse=True)
        # the prompt token's own logprob cannot beat the best candidate
        assert out["prompt_logprobs"][j] <= values[0] + 1e-6


def test_sampler_from_saved_weights_is_a_snapshot(backend: TorchBackend, tmp_path: Path) -> None:
    m = _model(backend)
    for _ in range(3):
        backend.forward_backward(m, [_ce("zzz")], "cross_entropy", None, True)
        backend.optim_step(m, AdamSpec(learning_rate=5e-2))
    backend.save_sampler_weights(m, tmp_path / "snap")
    assert {p.name for p in (tmp_path / "snap").iterdir()} >= {
        "adapter_config.json",
        "adapter_model.safetensors",
    }
    backend.create_sampler("snap", MODEL, tmp_path / "snap")
    prompt = [BOS, *b"zz"]
    before = backend.sample("snap", prompt, 1, SamplingSpec(max_tokens=1), True, 0)["prompt_logprobs"]
    trained = backend.forward_backward(m, [_ce("zz")], "cross_entropy", None, False)["loss_fn_outputs"][0][
        "logprobs"
    ]
    assert before[1:] == pytest.approx(trained["data"][:2], abs=1e-5)  # the sampler sees the trained adapter
    backend.forward_backward(m, [_ce("qqq")], "cross_entropy", None, True)
    backend.optim_step(m, AdamSpec(learning_rate=5e-2))
    after = backend.sample("snap", prompt, 1, SamplingSpec(max_tokens=1), True, 0)["prompt_logprobs"]
    assert after == before  # later training does not leak into the snapshot


@pytest.mark.parametrize("optimizer", [True, False])
def test_save_and_load_state_round_trip(backend: TorchBackend, tmp_path: Path, optimizer: bool) -> None:
    m = _model(backend, seed=3)
    step = AdamSpec(learning_rate=3e-2)
    for _ in range(2):
        backend.forward_backward(m, [_ce("resume")], "cross_entropy", None, True)
        backend.optim_step(m, step)
    backend.save_state(m, tmp_path / "ckpt", optimizer=optimizer)
    probe = [_ce("resume"), _ce("other")]
    saved = backend.forward_backward(m, probe, "cross_entropy", None, False)
    # continue on the original, then restore into a fresh model with different init
    backend.forward_backward(m, [_ce("resume")], "cross_entropy", None, True)
    backend.optim_step(m, step)
    continued = backend.forward_backward(m, probe, "cross_entropy", None, False)

    fresh = _model(backend, seed=99)
    backend.load_state(fresh, tmp_path / "ckpt", optimizer=optimizer)
    assert backend.forward_backward(fresh, probe, "cross_entropy", None, False) == saved
    backend.forward_backward(fresh, [_ce("resume")], "cross_entropy", None, True)
    backend.optim_step(fresh, step)
    resumed = backend.forward_backward(fresh, probe, "cross_entropy", None, False)
    # with the optimizer state the next step is exactly the original's; without it, Adam restarts
    assert (resumed == continued) is optimizer


def test_load_state_with_optimizer_needs_optimizer_state(backend: TorchBackend, tmp_path: Path) -> None:
    m = _model(backend)
    backend.save_state(m, tmp_path / "w", optimizer=False)
    with pytest.raises(UserInputError, match="no optimizer state"):
        backend.load_state(m, tmp_path / "w", optimizer=True)
    backend.unload_model(m)
    with pytest.raises(UserInputError, match="not loaded"):
        backend.forward_backward(m, [_ce("x")], "cross_entropy", None, False)


def test_extra_models_register_any_local_hf_directory(backend: TorchBackend) -> None:
    path = Path(str(backend.supported_models()[1].tokenizer_id))
    custom = TorchBackend({"acme/my-model": path}, builtin=False, device="cpu")
    (info,) = custom.supported_models()
    assert (info.name, info.arch, info.tokenizer_id) == ("acme/my-model", "llama", str(path.resolve()))
    custom.create_model("c:1", "acme/my-model", LoraSpec(rank=2, seed=0))
    out = custom.forward_backward("c:1", [_ce("hi")], "cross_entropy", None, True)
    assert out["metrics"]["loss:sum"] > 0
    with pytest.raises(ValueError, match=r"no config\.json"):
        TorchBackend({"bad": path / "nowhere"}, builtin=False)


def test_unloading_every_model_leaves_the_base_model_intact(backend: TorchBackend) -> None:
    path = Path(str(backend.supported_models()[1].tokenizer_id))
    solo = TorchBackend({"solo": path}, builtin=False, device="cpu")
    solo.create_sampler("s", "solo", None)
    params = SamplingSpec(max_tokens=3, seed=0)
    before = solo.sample("s", [BOS, 97], 1, params, True, 0)
    for name in ("a:0", "b:0"):  # create and drop the only adapter twice
        solo.create_model(name, "solo", LoraSpec(rank=2, seed=1))
        solo.forward_backward(name, [_ce("x")], "cross_entropy", None, True)
        solo.optim_step(name, AdamSpec(learning_rate=0.1))
        solo.unload_model(name)
    assert solo.sample("s", [BOS, 97], 1, params, True, 0) == before


def test_a_checkpoint_of_another_base_model_is_a_user_error(backend: TorchBackend, tmp_path: Path) -> None:
    other = f"sess:train:{next(_ids)}"
    backend.create_model(other, "tinkex/tiny-llama", LoraSpec(rank=2, seed=0))
    backend.save_state(other, tmp_path / "tiny", optimizer=True)
    m = _model(backend)
    with pytest.raises(UserInputError, match="does not fit base model 'tinkex/micro-llama'"):
        backend.load_state(m, tmp_path / "tiny", optimizer=True)
    backend.forward_backward(m, [_ce("still works")], "cross_entropy", None, True)  # the model is intact
    backend.unload_model(other)


def test_sampled_logprobs_equal_the_learners_logprobs_on_policy(
    backend: TorchBackend, tmp_path: Path
) -> None:
    # RL losses use the sampler's logprobs as q in exp(lp - q): both paths must agree (KV cache or not).
    m = _model(backend)
    backend.forward_backward(m, [_ce("policy")], "cross_entropy", None, True)
    backend.optim_step(m, AdamSpec(learning_rate=5e-2))
    backend.save_sampler_weights(m, tmp_path / "pol")
    backend.create_sampler("pol", MODEL, tmp_path / "pol")
    prompt = [BOS, *b"po"]
    seqs = backend.sample(
        "pol", prompt, 2, SamplingSpec(max_tokens=6, seed=5, stop_given_empty=True), False, 0
    )
    for seq in seqs["sequences"]:
        full = prompt + seq["tokens"]
        datum = {
            "model_input": {"chunks": [{"type": "encoded_text", "tokens": full[:-1]}]},
            "loss_fn_inputs": {"target_tokens": _td(full[1:], "int64")},
        }
        out = backend.forward_backward(m, [datum], "cross_entropy", None, False)
        learner = out["loss_fn_outputs"][0]["logprobs"]["data"][len(prompt) - 1 :]
        assert learner == pytest.approx(seq["logprobs"], abs=1e-4)


@pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing.*:FutureWarning")  # peft vs transformers 5
def test_sampler_weights_load_with_plain_peft(backend: TorchBackend, tmp_path: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    m = _model(backend)
    backend.forward_backward(m, [_ce("peft")], "cross_entropy", None, True)
    backend.optim_step(m, AdamSpec(learning_rate=5e-2))
    backend.save_sampler_weights(m, tmp_path / "adapter")
    ours = backend.forward_backward(m, [_ce("peft")], "cross_entropy", None, False)["loss_fn_outputs"][0]
    base_dir = str(backend.supported_models()[1].tokenizer_id)
    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(base_dir), str(tmp_path / "adapter")
    )
    seq = [BOS, *b"peft", EOS]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([seq[:-1]])).logits[0]
    lp = torch.log_softmax(logits, -1).gather(-1, torch.tensor(seq[1:]).unsqueeze(-1)).squeeze(-1)
    assert lp.tolist() == pytest.approx(ours["logprobs"]["data"], abs=1e-5)


def test_each_sample_has_its_own_seeded_stream(backend: TorchBackend) -> None:
    # Sample j of a request depends only on (seed, j): asking for more samples, or other samples
    # stopping early, never changes the ones already drawn (server-semantics.md §3.1, seed).
    backend.create_sampler("base-seeds", MODEL, None)
    params = SamplingSpec(max_tokens=6, seed=7, stop_given_empty=True)
    (one,) = backend.sample("base-seeds", [BOS, 97], 1, params, False, 0)["sequences"]
    three = backend.sample("base-seeds", [BOS, 97], 3, params, False, 0)["sequences"]
    assert (three[0]["tokens"], three[0]["stop_reason"]) == (one["tokens"], one["stop_reason"])
    assert three[0]["logprobs"] == pytest.approx(one["logprobs"], abs=1e-5)  # batched matmuls differ in ulps
    assert len({tuple(s["tokens"]) for s in three}) == 3
    # Any JSON integer is a valid seed (the spec has no bound), not a server error.
    huge = SamplingSpec(max_tokens=3, seed=2**64 + 5)
    first = backend.sample("base-seeds", [BOS, 97], 2, huge, False, 0)
    assert backend.sample("base-seeds", [BOS, 97], 2, huge, False, 0) == first


@pytest.mark.parametrize(
    ("flags", "per_rank"),
    [
        # micro-llama: d = 32, d_ff = 64, L = 1, d_q = 32, d_kv = 16, V = 259 (server-semantics.md §5.1)
        ({}, 224 + 288 + 291),
        ({"train_mlp": False, "train_unembed": False}, 224),  # q,k,v,o: (d+d_q) + 2(d+d_kv) + (d_q+d)
        ({"train_attn": False, "train_unembed": False}, 288),  # gate,up,down: 3 (d + d_ff)
        ({"train_attn": False, "train_mlp": False}, 291),  # the output head d + V, never the embedding
    ],
)
def test_lora_flags_give_tinkers_trainable_parameter_counts(
    backend: TorchBackend, flags: dict[str, bool], per_rank: int
) -> None:
    m = _model(backend, **flags)
    assert sum(p.numel() for p in backend._trainers[m].params) == 4 * per_rank
    backend.unload_model(m)


def test_accumulated_gradients_survive_forward_other_models_and_sampling(backend: TorchBackend) -> None:
    a, b = _model(backend), _model(backend)
    backend.forward_backward(a, [_ce("first")], "cross_entropy", None, True)
    once = _grads(backend, a)
    # Between two forward_backward calls of `a`: a forward of `a`, a full step of `b`, a sample.
    backend.forward_backward(a, [_ce("probe")], "cross_entropy", None, False)
    backend.forward_backward(b, [_ce("bbb")], "cross_entropy", None, True)
    backend.optim_step(b, AdamSpec(learning_rate=0.1))
    backend.create_sampler("base-interleave", MODEL, None)
    backend.sample("base-interleave", [BOS, 97], 2, SamplingSpec(max_tokens=3, seed=0), True, 2)
    for x, y in zip(once, _grads(backend, a), strict=True):
        assert torch.equal(x, y)
    assert backend._trainers[a].optimizer.state_dict()["state"] == {}  # forward never steps Adam
    backend.forward_backward(a, [_ce("first")], "cross_entropy", None, True)
    for x, y in zip(once, _grads(backend, a), strict=True):
        torch.testing.assert_close(y, 2 * x)


def test_a_stop_string_spanning_several_tokens_ends_the_sequence_after_it(backend: TorchBackend) -> None:
    backend.create_sampler("base-stopstr", MODEL, None)
    greedy = SamplingSpec(max_tokens=12, temperature=0.0, stop_given_empty=True)
    tokens = backend.sample("base-stopstr", [BOS, 97], 1, greedy, False, 0)["sequences"][0]["tokens"]
    tok = backend._bases[MODEL].tokenizer
    # the first stretch of 3 tokens whose text is new (not already in the output before it)
    for end in range(3, len(tokens) + 1):
        text = tok.decode(tokens[end - 3 : end], skip_special_tokens=True)
        if len(text) >= 2 and "\ufffd" not in text and text not in tok.decode(tokens[: end - 1]):
            break
    else:
        pytest.skip("the greedy output has no clean 3-token stretch")
    spec = SamplingSpec(max_tokens=12, temperature=0.0, stop_strings=(text,))
    seq = backend.sample("base-stopstr", [BOS, 97], 1, spec, False, 0)["sequences"][0]
    assert seq["stop_reason"] == "stop"
    assert seq["tokens"] == tokens[:end]  # the tokens that complete the string are kept


@pytest.mark.parametrize("seed", [2**64 + 3, -(2**63) - 5])
def test_any_integer_lora_seed_gives_a_reproducible_adapter(backend: TorchBackend, seed: int) -> None:
    # The wire seed is an unbounded JSON integer; torch.manual_seed takes 64 bits and raised a
    # ValueError (a server-category failure of create_model).
    a, b = _model(backend, seed=seed), _model(backend, seed=seed)
    pa, pb = backend._trainers[a].params, backend._trainers[b].params
    assert all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))
    backend.unload_model(a)
    backend.unload_model(b)


def test_unloading_the_active_adapter_warns_nothing(backend: TorchBackend) -> None:
    # peft warns when the active adapter is deleted; for a server that is routine, not news for its log.
    import warnings

    keep, m = _model(backend), _model(backend)
    backend.forward_backward(m, [_ce("x")], "cross_entropy", None, False)  # m is now the active adapter
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.unload_model(m)
    backend.unload_model(keep)


def test_dimuon_trains_and_its_state_round_trips(backend: TorchBackend, tmp_path: Path) -> None:
    m = _model(backend, seed=5)
    step = DimuonSpec(learning_rate=2e-2)

    def nll(model_id: str) -> float:
        return float(
            backend.forward_backward(model_id, [_ce("12+3=15")], "cross_entropy", None, False)["metrics"][
                "loss:sum"
            ]
        )

    before = nll(m)
    for _ in range(4):
        backend.forward_backward(m, [_ce("12+3=15")], "cross_entropy", None, True)
        backend.optim_step(m, step)
    assert nll(m) < before
    with pytest.raises(UserInputError, match="Dimuon"):
        backend.optim_step(m, AdamSpec(learning_rate=1e-3))
    backend.save_state(m, tmp_path / "ckpt", optimizer=True)
    fresh = _model(backend, seed=6)
    backend.load_state(fresh, tmp_path / "ckpt", optimizer=True)
    for model_id in (m, fresh):  # the momentum came along: the next step is the same on both
        backend.forward_backward(model_id, [_ce("12+3=15")], "cross_entropy", None, True)
        backend.optim_step(model_id, step)
    assert nll(fresh) == pytest.approx(nll(m), abs=1e-6)
