from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, Obj, WireModel, frozen

from .tensor_data import TensorData


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class PromptAltTokens(WireModel):
    """Alternative draws at every prompt position after the first (SampleRequest.prompt_alt_tokens_k): `tokens[i]` are
    k alternatives to prompt[i + 1], `logprobs[i][j]` the model's logprob of `tokens[i][j]` there."""

    tokens: TensorData
    """A tensor flattened in row-major order. `shape` null or absent means 1-D (`[len(data)]`).
    Closed (the official type forbids extra keys, also inside responses). Decision: `data` items are
    `number` (integers are numbers); int64 tensors carry integers."""
    logprobs: TensorData
    """A tensor flattened in row-major order. `shape` null or absent means 1-D (`[len(data)]`).
    Closed (the official type forbids extra keys, also inside responses). Decision: `data` items are
    `number` (integers are numbers); int64 tensors carry integers."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "tokens": Obj(TensorData),
        "logprobs": Obj(TensorData),
    }
