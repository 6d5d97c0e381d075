from __future__ import annotations

from typing import TypeAlias

from .tensor_data import TensorData

LossFnInputs: TypeAlias = dict[str, TensorData]
"""Loss inputs of one datum by name (`target_tokens`, `weights`, `advantages`, `logprobs`,
`clip_low_threshold`, `clip_high_threshold`, ...). May be empty."""
