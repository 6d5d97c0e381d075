"""A training-and-sampling script written for the official `tinker==0.7.0` SDK, untouched.

tests/e2e/test_dropin.py runs it twice against the same local server: once as written (the official
client) and once with its import line swapped for ``import tinkex as tinker``. Both runs must print the
same summary. Connection settings come from TINKER_BASE_URL / TINKER_API_KEY, as a real user's would.
"""

import tinker  # the only line a user changes to switch SDKs

types = tinker.types  # not `from tinker import types`: that would bypass an `import ... as tinker`


def datum(tokens: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * (len(tokens) - 1)},
    )


def rl_datum(tokens: list[int], advantage: float) -> types.Datum:
    n = len(tokens) - 1
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={
            "target_tokens": tokens[1:],
            "logprobs": [-1.0] * n,
            "advantages": [advantage] * n,
        },
    )


def main() -> None:
    service = tinker.ServiceClient()
    capabilities = service.get_server_capabilities()
    base_model = capabilities.supported_models[0].model_name
    assert base_model, capabilities

    training = service.create_lora_training_client(base_model=base_model, rank=8, seed=0)
    batch = [datum([72, 101, 108, 108, 111, 33]), datum([87, 111, 114, 108, 100, 46, 10])]

    losses = []
    for _ in range(3):
        fwd_bwd = training.forward_backward(batch, "cross_entropy")
        optim = training.optim_step(types.AdamParams(learning_rate=1e-2))
        out = fwd_bwd.result()
        optim.result()
        losses.append(out.metrics["loss:sum"])
        assert len(out.loss_fn_outputs) == len(batch)
        assert len(out.loss_fn_outputs[0]["logprobs"].tolist()) == 5

    rl_batch = [rl_datum([1, 2, 3, 4, 5], 1.0), rl_datum([5, 4, 3, 2, 1], -0.5)]
    for loss_fn, config in [
        ("importance_sampling", None),
        ("ppo", {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2}),
        ("cispo", {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2}),
        ("dro", {"beta": 0.05}),
    ]:
        out = training.forward_backward(rl_batch, loss_fn, loss_fn_config=config).result()
        assert "loss:sum" in out.metrics, (loss_fn, out.metrics)
    training.optim_step(types.AdamParams(learning_rate=1e-3)).result()

    forward = training.forward(batch, "cross_entropy").result()
    assert len(forward.loss_fn_outputs) == 2

    state_path = training.save_state("ckpt-1").result().path
    sampler_path = training.save_weights_for_sampler("sampler-1").result().path
    assert state_path.startswith("tinker://"), state_path
    assert "/weights/" in state_path, state_path
    assert "/sampler_weights/" in sampler_path, sampler_path

    sampler = service.create_sampling_client(model_path=sampler_path)
    prompt = types.ModelInput.from_ints([72, 101, 108])
    params = types.SamplingParams(max_tokens=6, seed=1234, temperature=1.0)
    first = sampler.sample(prompt=prompt, num_samples=2, sampling_params=params).result()
    again = sampler.sample(prompt=prompt, num_samples=2, sampling_params=params).result()
    assert [s.tokens for s in first.sequences] == [s.tokens for s in again.sequences]
    assert all(len(s.tokens) <= 6 for s in first.sequences)
    logprobs = sampler.compute_logprobs(prompt).result()
    assert len(logprobs) == prompt.length
    assert logprobs[0] is None

    ephemeral = training.save_weights_and_get_sampling_client(name="ephemeral")
    ephemeral_out = ephemeral.sample(prompt=prompt, num_samples=1, sampling_params=params).result()
    assert len(ephemeral_out.sequences) == 1

    resumed = service.create_training_client_from_state_with_optimizer(state_path)
    resumed_out = resumed.forward_backward(batch, "cross_entropy").result()
    assert len(resumed_out.loss_fn_outputs) == 2

    rest = service.create_rest_client()
    run = rest.get_training_run(training.model_id).result()
    assert run.training_run_id == training.model_id
    runs = rest.list_training_runs().result()
    assert any(r.training_run_id == training.model_id for r in runs.training_runs)
    checkpoints = rest.list_checkpoints(training.model_id).result()
    kinds = sorted(c.checkpoint_type for c in checkpoints.checkpoints)
    assert kinds == ["sampler", "training"], kinds
    rest.publish_checkpoint_from_tinker_path(state_path).result()
    published = rest.list_checkpoints(training.model_id).result()
    assert any(c.public for c in published.checkpoints)
    rest.unpublish_checkpoint_from_tinker_path(state_path).result()
    archive = rest.get_checkpoint_archive_url_from_tinker_path(sampler_path).result()
    assert archive.url.startswith("http"), archive
    user_checkpoints = rest.list_user_checkpoints().result()
    assert len(user_checkpoints.checkpoints) >= 2
    rest.delete_checkpoint_from_tinker_path(sampler_path).result()
    remaining = rest.list_checkpoints(training.model_id).result()
    assert [c.checkpoint_type for c in remaining.checkpoints] == ["training"]

    print(
        f"SUMMARY steps={len(losses)} checkpoints={len(checkpoints.checkpoints)} samples={len(first.sequences)}"
    )
    print("DROPIN-OK")


if __name__ == "__main__":
    main()
