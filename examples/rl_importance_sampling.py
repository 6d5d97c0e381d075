"""Reinforcement learning with the `importance_sampling` loss on a toy reward, against the local server.

The reward of a completion is the fraction of its `MAX_TOKENS` slots filled with lowercase ASCII
letters. The randomly initialised base model writes about 10% of them by chance; sampling groups of
completions, centring the reward per group (a GRPO-style advantage) and taking importance-weighted
policy-gradient steps teaches it to write lowercase text, so the mean reward rises per iteration.

    python examples/rl_importance_sampling.py [--iterations 20] [--sdk tinkex|tinker] [--base-url URL]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import os
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BASE_MODEL = "tinkex/tiny-llama"
PROMPTS = ["Write:", "Say something.", "Once upon a time", "Hello!"]
MAX_TOKENS = 8
GROUP_SIZE = 8  # completions per prompt; the advantage is the reward minus the group's mean


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sdk", choices=("tinkex", "tinker"), default="tinkex")
    p.add_argument("--base-url", help="use a running server instead of starting one in-process")
    p.add_argument("--api-key", default=None)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--learning-rate", type=float, default=1e-2)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def reward(tokens: list[int]) -> float:
    """Fraction of the MAX_TOKENS slots holding a lowercase ASCII letter (a byte token 97..122)."""
    return sum(1 for t in tokens if ord("a") <= t <= ord("z")) / MAX_TOKENS


def rl_datum(
    tinker: Any, prompt: list[int], tokens: list[int], logprobs: list[float], advantage: float
) -> Any:
    """One sampled completion as an importance_sampling datum.

    The full sequence is prompt + completion; position i predicts token i+1. Prompt positions get
    advantage 0 (no gradient) and sampler logprob 0; completion positions carry the sampler's
    logprobs (q in the ratio exp(lp - q)) and the group-centred advantage.
    """
    full = prompt + tokens
    n_prompt_targets = len(prompt) - 1
    return tinker.types.Datum(
        model_input=tinker.types.ModelInput.from_ints(full[:-1]),
        loss_fn_inputs={
            "target_tokens": full[1:],
            "logprobs": [0.0] * n_prompt_targets + list(logprobs),
            "advantages": [0.0] * n_prompt_targets + [advantage] * len(tokens),
        },
    )


def run(args: argparse.Namespace, base_url: str, api_key: str) -> int:
    tinker: Any = importlib.import_module(args.sdk)  # i.e. `import tinkex as tinker`
    service_client = tinker.ServiceClient(base_url=base_url, api_key=api_key)
    training_client = _resolved(
        service_client.create_lora_training_client(base_model=BASE_MODEL, rank=args.rank, seed=args.seed)
    )
    tokenizer = training_client.get_tokenizer()
    prompts = [tokenizer.encode(p) for p in PROMPTS]
    params = tinker.types.SamplingParams(max_tokens=MAX_TOKENS, temperature=1.0)
    adam = tinker.types.AdamParams(learning_rate=args.learning_rate)
    history: list[float] = []
    started = time.monotonic()
    for iteration in range(args.iterations):
        # Sample from exactly the current weights (an ephemeral snapshot of the adapter).
        sampling_client = _resolved(training_client.save_weights_and_get_sampling_client())
        futures = [
            sampling_client.sample(
                prompt=tinker.types.ModelInput.from_ints(p), num_samples=GROUP_SIZE, sampling_params=params
            )
            for p in prompts
        ]
        data, rewards = [], []
        for prompt, future in zip(prompts, futures, strict=True):
            sequences = future.result().sequences
            group = [reward(s.tokens) for s in sequences]
            mean = sum(group) / len(group)
            rewards.extend(group)
            for seq, r in zip(sequences, group, strict=True):
                if r != mean:  # zero advantage = zero gradient; skip the datum
                    data.append(rl_datum(tinker, prompt, seq.tokens, seq.logprobs, r - mean))
        mean_reward = sum(rewards) / len(rewards)
        history.append(mean_reward)
        if data:
            fwd_future = training_client.forward_backward(data, "importance_sampling")
            opt_future = training_client.optim_step(adam)
            fwd_future.result()
            opt_future.result()
        example = tokenizer.decode(sequences[0].tokens, skip_special_tokens=True)
        print(f"iteration {iteration:3d}  mean reward {mean_reward:.3f}  e.g. {example!r}", flush=True)
    print(
        f"mean reward {history[0]:.3f} -> {history[-1]:.3f} "
        f"over {args.iterations} iterations in {time.monotonic() - started:.0f} s"
    )
    quarter = max(1, len(history) // 4)
    first, last = history[:quarter], history[-quarter:]
    if args.iterations >= 8 and sum(last) / len(last) <= sum(first) / len(first):
        print("the mean reward did not rise")
        return 1
    return 0


def _resolved(created: Any) -> Any:
    """The client: tinker 0.38 and tinkex return a future of it (`.result()`), 0.7.0 the client itself."""
    return created.result() if isinstance(created, concurrent.futures.Future) else created


def main() -> int:
    args = parse_args()
    if args.base_url:
        return run(args, args.base_url, args.api_key or os.environ.get("TINKER_API_KEY", ""))
    from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

    with LocalServer(backend="torch") as server:
        print(f"local server at {server.base_url}")
        return run(args, server.base_url, args.api_key or DEFAULT_DEV_API_KEY)


if __name__ == "__main__":
    raise SystemExit(main())
