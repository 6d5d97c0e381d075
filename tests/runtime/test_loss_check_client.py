"""The TrainingClient validates a loss request locally: a mistake raises TinkexValidationError naming
the datum and field, and nothing reaches the server (no 5xx retried for minutes)."""

from __future__ import annotations

import pytest

from tests.runtime.fake_server import FakeTinker
from tinkex import ServiceClient, TinkexValidationError
from tinkex.types import Datum, ModelInput


def _rl(n: int, with_advantages: bool = True) -> Datum:
    inputs = {"target_tokens": [1] * n, "logprobs": [-1.0] * n}
    if with_advantages:
        inputs["advantages"] = [1.0] * n
    return Datum(model_input=ModelInput.from_ints(list(range(n))), loss_fn_inputs=inputs)


def _training_calls(server: FakeTinker) -> list[str]:
    return [c.op for c in server.calls if c.op in ("forward", "forward_backward")]


def test_bad_loss_requests_raise_before_anything_is_sent(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    with pytest.raises(TinkexValidationError) as info:
        tc.forward_backward([_rl(4), _rl(4, with_advantages=False)], "ppo")
    assert info.value.field == "data[1].loss_fn_inputs['advantages']"
    with pytest.raises(TinkexValidationError, match="loss_fn_config"):
        tc.forward([_rl(4)], "importance_sampling", {"beta": 0.1})
    with pytest.raises(TinkexValidationError, match="loss_fn"):
        tc.forward_backward([_rl(4)], "grpo")
    assert _training_calls(server) == []
    # The same data with a matching loss goes out.
    tc.forward_backward([_rl(4)], "ppo", {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2}).result(
        timeout=10
    )
    assert _training_calls(server) == ["forward_backward"]
