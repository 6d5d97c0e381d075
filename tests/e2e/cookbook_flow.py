"""tinker-cookbook 0.6.1's trainers, unchanged, run to completion against a running tinkex server on
the tiny local model, offline, on the official tinker 0.38.0 client; prints `COOKBOOK OK <what>`.

Runs in the tinker 0.38 virtualenv (see test_official_client_038.py). The local model's tokenizer is
registered with the cookbook from its directory (no hub), and the trainers are driven through their
`main(Config)` with renderer `role_colon` (`model_info` knows no local model names).

Usage: <venv-tinker038>/bin/python cookbook_flow.py <base_url> <model> <tokenizer_dir> <log_dir> \
           supervised | rl:<loss_fn>
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from tinker_cookbook import tokenizer_utils


def supervised(base_url: str, model: str, log_dir: str) -> None:
    import tinker_cookbook
    from tinker_cookbook.supervised import train
    from tinker_cookbook.supervised.data import FromConversationFileBuilder
    from tinker_cookbook.supervised.types import ChatDatasetBuilderCommonConfig

    conversations = Path(tinker_cookbook.__file__).parent / "example_data" / "conversations.jsonl"
    config = train.Config(
        log_path=log_dir,
        model_name=model,
        recipe_name="tinkex_e2e_sft",
        renderer_name="role_colon",
        dataset_builder=FromConversationFileBuilder(
            file_path=str(conversations),
            common_config=ChatDatasetBuilderCommonConfig(
                model_name_for_tokenizer=model, renderer_name="role_colon", max_length=64, batch_size=16
            ),
        ),
        learning_rate=1e-3,
        lora_rank=4,
        base_url=base_url,
        save_every=2,
        eval_every=0,
        infrequent_eval_every=0,
        max_steps=3,
    )
    asyncio.run(train.main(config))


def rl(base_url: str, model: str, log_dir: str, loss_fn: str) -> None:
    from tinker_cookbook.recipes.math_rl.arithmetic_env import ArithmeticDatasetBuilder
    from tinker_cookbook.rl import train

    config = train.Config(
        log_path=log_dir,
        model_name=model,
        recipe_name="tinkex_e2e_rl",
        renderer_name="role_colon",
        dataset_builder=ArithmeticDatasetBuilder(
            batch_size=2,
            model_name_for_tokenizer=model,
            renderer_name="role_colon",
            n_batches=2,
            group_size=2,
            include_fewshot=False,
        ),
        learning_rate=1e-3,
        max_tokens=4,
        lora_rank=4,
        base_url=base_url,
        loss_fn=loss_fn,
        eval_every=0,
        save_every=0,
    )
    asyncio.run(train.main(config))


def main(base_url: str, model: str, tokenizer_dir: str, log_dir: str, what: str) -> None:
    logging.basicConfig(level=logging.WARNING)

    def local_tokenizer() -> object:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(tokenizer_dir)

    tokenizer_utils.register_tokenizer(model, local_tokenizer)
    if what == "supervised":
        supervised(base_url, model, log_dir)
    elif what.startswith("rl:"):
        rl(base_url, model, log_dir, what.removeprefix("rl:"))
    else:
        sys.exit(f"unknown flow {what!r}")
    print(f"COOKBOOK OK {what}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
