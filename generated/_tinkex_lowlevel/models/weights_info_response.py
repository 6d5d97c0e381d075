from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class WeightsInfoResponse(WireModel):
    """Answer of weights_info. `lora_rank` must be non-null for LoRA runs (the client recreates the model with it)."""

    base_model: str
    """Base model name."""
    is_lora: bool
    """Whether the checkpoint is a LoRA."""
    lora_rank: int | None = None
    """LoRA rank."""
