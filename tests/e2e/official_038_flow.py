"""The official `tinker==0.38.0` client, unchanged, runs a full user flow against a running tinkex
server; exits 0 and prints `FLOW038 OK` when every assertion holds.

Runs in its own virtualenv (the one `make setup` fills with tinker 0.38.0; it cannot share the
project's, which pins tinker 0.7.0), so it imports nothing from tinkex: the test starts the server.

Usage: <venv-tinker038>/bin/python official_038_flow.py <base_url> <api_key> <base_model>
"""

from __future__ import annotations

import logging
import math
import sys
import time
import urllib.request

import tinker
from tinker import types


def ce_datum(tokens: list[int]) -> types.Datum:
    n = len(tokens) - 1
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={
            "target_tokens": types.TensorData(data=tokens[1:], dtype="int64", shape=[n]),
            "weights": types.TensorData(data=[1.0] * n, dtype="float32", shape=[n]),
        },
    )


def rl_datum(tokens: list[int], q: list[float], adv: list[float]) -> types.Datum:
    n = len(tokens) - 1
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={
            "target_tokens": types.TensorData(data=tokens[1:], dtype="int64", shape=[n]),
            "logprobs": types.TensorData(data=q, dtype="float32", shape=[n]),
            "advantages": types.TensorData(data=adv, dtype="float32", shape=[n]),
        },
    )


def main(base_url: str, api_key: str, base_model: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    t0 = time.monotonic()
    with tinker.ServiceClient(base_url=base_url, api_key=api_key, display_name="e2e-038") as sc:
        names = [m.model_name for m in sc.get_server_capabilities().supported_models]
        assert base_model in names, names

        # client creation returns a future of the client
        tc = sc.create_lora_training_client(base_model=base_model, rank=4, seed=0).result()
        info = tc.get_info()
        assert info.model_data.model_name == base_model, info
        assert info.lora_rank == 4, info
        tokenizer = tc.get_tokenizer()  # a local directory: loads offline
        assert tokenizer.decode(tokenizer.encode("hi", add_special_tokens=False)) == "hi"

        batch = [ce_datum([10, 20, 30, 40, 50]), ce_datum([60, 70, 80, 90])]
        fwd = tc.forward(batch, "cross_entropy").result()  # forward_only protobuf forward_backward
        assert [len(o["logprobs"].data) for o in fwd.loss_fn_outputs] == [4, 3]
        first = fwd.metrics["loss:sum"]
        for _ in range(4):
            fb = tc.forward_backward(batch, "cross_entropy")
            opt = tc.optim_step(types.AdamParams(learning_rate=1e-2))
            fb.result()
            opt.result()
        last = tc.forward(batch, "cross_entropy").result().metrics["loss:sum"]
        assert last < first, (first, last)

        # every RL loss, with the learner's own logprobs as q (ratio 1)
        tokens = [11, 21, 31, 41, 51, 61]
        own = tc.forward([ce_datum(tokens)], "cross_entropy").result().loss_fn_outputs[0]["logprobs"]
        q = [float(x) for x in own.data]
        adv = [0.0, 0.0, 1.0, 1.0, 1.0]
        for loss in ("importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce"):
            out = tc.forward_backward([rl_datum(tokens, q, adv)], loss).result()
            assert math.isfinite(out.metrics["loss:sum"]), (loss, out.metrics)
            assert len(out.loss_fn_outputs[0]["elementwise_loss"].data) == 5, loss
        tc.optim_step(types.AdamParams(learning_rate=1e-3)).result()

        # checkpoints
        state = tc.save_state("state-1", ttl_seconds=7200).result()
        assert state.path.endswith("/weights/state-1"), state.path
        named = tc.save_weights_for_sampler("sampler-1").result()
        assert named.path.endswith("/sampler_weights/sampler-1"), named.path

        # seeded sampling reproduces, every sequence carries its id
        sampler = tc.save_weights_and_get_sampling_client().result()
        prompt = types.ModelInput.from_ints([10, 20, 30])
        params = types.SamplingParams(max_tokens=5, seed=7, temperature=1.0)
        s1 = sampler.sample(prompt, 2, params).result()
        s2 = sampler.sample(prompt, 2, params).result()
        assert [s.tokens for s in s1.sequences] == [s.tokens for s in s2.sequences]
        ids = [s.sequence_id for s in s1.sequences + s2.sequences]
        assert all(isinstance(i, str) and i for i in ids), ids
        assert len(set(ids)) == 4, ids
        assert s1.prompt_cache_hit_tokens == 0
        rich = sampler.sample(prompt, 1, params, include_prompt_logprobs=True, topk_sample_logprobs=3,
                              prompt_logprobs_last_n=1).result()  # fmt: skip
        assert rich.prompt_logprobs is not None, rich.prompt_logprobs
        assert rich.prompt_logprobs[:2] == [None, None], rich.prompt_logprobs
        assert rich.sequences[0].topk_logprobs is not None
        # logprobs of chosen ids at each prompt position after the first (-1 = none), and alternative draws
        targets = types.TensorData(data=[20, -1, 30, 31], dtype="int64", shape=[2, 2])
        extra = sampler.sample(
            prompt, 1, params, target_prompt_logprobs=targets, prompt_alt_tokens_k=3
        ).result()
        assert extra.target_prompt_logprobs is not None
        assert extra.target_prompt_logprobs.shape == [2, 2]
        cells = [float(x) for x in extra.target_prompt_logprobs.data]
        assert cells[1] == 0.0
        assert all(x < 0 for x in (cells[0], cells[2], cells[3])), cells
        assert extra.prompt_alt_tokens is not None
        assert extra.prompt_alt_tokens.tokens.shape == [2, 3]
        lps = sampler.compute_logprobs(prompt).result()
        # row 0 scores position 1, whose prompt token is 20: the same logprob compute_logprobs gives
        assert math.isclose(cells[0], lps[1], rel_tol=1e-4, abs_tol=1e-5), (cells, lps)
        assert lps[0] is None, lps
        assert len(lps) == 3, lps
        assert all(isinstance(x, float) for x in lps[1:]), lps
        named_sampler = sc.create_sampling_client(model_path=named.path).result()
        assert len(named_sampler.sample(prompt, 1, params).result().sequences) == 1

        # resume with optimizer through create-via-load, and keep training
        resumed = sc.create_training_client_from_state_with_optimizer(state.path).result()
        assert resumed.get_info().model_data.model_name == base_model
        resumed.forward_backward(batch, "cross_entropy").result()
        resumed.optim_step(types.AdamParams(learning_rate=1e-3)).result()

        # REST
        rc = sc.create_rest_client()
        runs = rc.list_training_runs().result()
        assert tc.model_id in [r.training_run_id for r in runs.training_runs]
        ckpts = rc.list_checkpoints(tc.model_id).result().checkpoints
        by_path = {c.tinker_path: c for c in ckpts}
        assert state.path in by_path, by_path
        assert by_path[state.path].expires_at is not None, by_path
        rc.set_checkpoint_ttl_from_tinker_path(state.path, None).result()
        again = {c.tinker_path: c for c in rc.list_checkpoints(tc.model_id).result().checkpoints}
        assert again[state.path].expires_at is None
        rc.publish_checkpoint_from_tinker_path(named.path).result()
        rc.unpublish_checkpoint_from_tinker_path(named.path).result()
        rc.delete_checkpoint_from_tinker_path(named.path).result()
        left = [c.tinker_path for c in rc.list_checkpoints(tc.model_id).result().checkpoints]
        assert named.path not in left, left
        session_ids = rc.list_sessions().result().sessions
        assert session_ids, session_ids
        got = rc.get_session(session_ids[0]).result()
        assert tc.model_id in got.training_run_ids, got

        # external weights: real files behind signed URLs
        ext = tc.save_weights_external("export-1").result()
        urls = rc.get_external_weights_urls(ext.path).result().urls
        assert "adapter_model.safetensors" in urls, urls
        with urllib.request.urlopen(urls["adapter_model.safetensors"], timeout=30) as r:
            assert len(r.read()) > 0
        sc.close("success").result()
    print(f"FLOW038 OK in {time.monotonic() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
