"""The official `tinker==0.7.0` client, unchanged, runs its flows against a LocalServer; exits 0 and
prints `FLOW OK` when every assertion holds. Run as a subprocess by test_official_client_*.py, because
the official client starts daemon threads and telemetry that outlive its objects.

Usage: python official_client_flow.py <backend> <base_model> [steps] [faults]
"""

from __future__ import annotations

import io
import logging
import sys
import tarfile
import time
import urllib.request

import tinker
from tinker import types

from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer


def ce_datum(tokens: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={
            "target_tokens": types.TensorData(data=tokens[1:], dtype="int64", shape=[len(tokens) - 1]),
            "weights": types.TensorData(
                data=[1.0] * (len(tokens) - 1), dtype="float32", shape=[len(tokens) - 1]
            ),
        },
    )


def main(backend: str, base_model: str, steps: int, faults: str | None = None) -> None:
    logging.basicConfig(level=logging.WARNING)
    t0 = time.monotonic()
    with LocalServer(backend=backend, long_poll_s=1.0, faults=faults) as server:
        sc = tinker.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY)
        names = [m.model_name for m in sc.get_server_capabilities().supported_models]
        assert base_model in names, names

        tc = sc.create_lora_training_client(base_model=base_model, rank=4, seed=0)
        info = tc.get_info()
        assert info.model_data.model_name == base_model
        assert info.lora_rank == 4
        if backend == "torch":  # get_info's tokenizer_id is a local directory transformers loads offline
            tokenizer = tc.get_tokenizer()
            assert tokenizer.decode(tokenizer.encode("hi", add_special_tokens=False)) == "hi"
        batch = [ce_datum([10, 20, 30, 40, 50]), ce_datum([60, 70, 80, 90])]

        # forward reports per-token logprobs; training lowers the loss on a repeated batch
        fwd = tc.forward(batch, "cross_entropy").result()
        assert [len(o["logprobs"].data) for o in fwd.loss_fn_outputs] == [4, 3]
        first = fwd.metrics["loss:sum"]
        losses = []
        step_metrics: dict[str, float] = {}
        for _ in range(steps):
            fb = tc.forward_backward(batch, "cross_entropy")
            opt = tc.optim_step(types.AdamParams(learning_rate=1e-2))
            losses.append(fb.result().metrics["loss:sum"])
            step_metrics = opt.result().metrics or {}
        if backend == "null":  # the null model counts its steps: retries never applied one twice
            assert step_metrics["step:max"] == steps, step_metrics
        last = tc.forward(batch, "cross_entropy").result().metrics["loss:sum"]
        if backend == "torch":
            assert last < first, (first, losses, last)

        # checkpoints: state with optimizer, named sampler weights, ephemeral sampler
        state = tc.save_state("state-1").result()
        assert state.path.endswith("/weights/state-1")
        named = tc.save_weights_for_sampler("sampler-1").result()
        assert named.path.endswith("/sampler_weights/sampler-1")
        eph = tc.save_weights_and_get_sampling_client("eph")

        prompt = types.ModelInput.from_ints([10, 20, 30])
        params = types.SamplingParams(max_tokens=5, seed=7, temperature=1.0)
        s1 = eph.sample(prompt, 2, params).result()
        s2 = eph.sample(prompt, 2, params).result()
        assert len(s1.sequences) == 2
        assert [s.tokens for s in s1.sequences] == [s.tokens for s in s2.sequences]  # same seed, same tokens
        assert all(len(s.tokens) == len(s.logprobs or []) <= 5 for s in s1.sequences)
        lps = eph.compute_logprobs(prompt).result()
        assert len(lps) == 3
        assert lps[0] is None

        saved = sc.create_sampling_client(model_path=named.path)
        s3 = saved.sample(prompt, 2, params).result()
        assert [s.tokens for s in s3.sequences] == [s.tokens for s in s1.sequences]  # same weights, same seed
        base = sc.create_sampling_client(base_model=base_model)
        assert len(base.sample(prompt, 1, params).result().sequences) == 1

        # resume from the saved state, with optimizer
        tc2 = sc.create_training_client_from_state_with_optimizer(state.path)
        resumed = tc2.forward(batch, "cross_entropy").result().metrics["loss:sum"]
        assert abs(resumed - last) < 1e-3 * max(1.0, abs(last)), (resumed, last)
        tc3 = sc.create_training_client_from_state(state.path)
        assert tc3.get_info().lora_rank == 4

        # RestClient
        rc = sc.create_rest_client()
        run_id = state.path.split("/")[2]
        runs = rc.list_training_runs().result()
        assert run_id in [r.training_run_id for r in runs.training_runs]
        assert rc.get_training_run(run_id).result().lora_rank == 4
        ckpts = rc.list_checkpoints(run_id).result().checkpoints
        assert {c.checkpoint_id for c in ckpts} == {"weights/state-1", "sampler_weights/sampler-1"}
        assert rc.list_user_checkpoints().result().cursor is not None
        assert rc.get_weights_info_by_tinker_path(named.path).result().lora_rank == 4
        archive = rc.get_checkpoint_archive_url_from_tinker_path(named.path).result()
        with urllib.request.urlopen(archive.url, timeout=30) as resp:
            data = resp.read()
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = tar.getnames()
        assert "adapter_config.json" in members, members
        rc.publish_checkpoint_from_tinker_path(named.path).result()
        assert any(c.public for c in rc.list_checkpoints(run_id).result().checkpoints)
        rc.unpublish_checkpoint_from_tinker_path(named.path).result()
        rc.delete_checkpoint_from_tinker_path(state.path).result()
        assert {c.checkpoint_id for c in rc.list_checkpoints(run_id).result().checkpoints} == {
            "sampler_weights/sampler-1"
        }
        sessions = rc.list_sessions().result().sessions
        assert sessions
        session = rc.get_session(sessions[0]).result()
        assert run_id in session.training_run_ids
        assert len(session.sampler_ids) == 3  # ephemeral, named-path and base-model samplers
        for sampler_id in session.sampler_ids:
            assert rc.get_sampler(sampler_id).result().base_model == base_model
    print(f"FLOW OK backend={backend} steps={steps} losses={[round(x, 3) for x in [first, *losses, last]]} "
          f"elapsed={time.monotonic() - t0:.1f}s")  # fmt: skip


if __name__ == "__main__":
    main(
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]) if len(sys.argv) > 3 else 3,
        sys.argv[4] if len(sys.argv) > 4 else None,
    )
