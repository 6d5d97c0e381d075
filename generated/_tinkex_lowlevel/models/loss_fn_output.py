from __future__ import annotations

from typing import TypeAlias

from .tensor_data import TensorData

LossFnOutput: TypeAlias = dict[str, TensorData]
"""Per-datum outputs of a loss by name (e.g. `logprobs`, `elementwise_loss`)."""
