from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, Union_, WireModel, frozen

from .adam_optimizer_config import AdamOptimizerConfig
from .dimuon_optimizer_config import DimuonOptimizerConfig


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
    optimizer_config: AdamOptimizerConfig | DimuonOptimizerConfig | None = None
    """The optimizer a model is created with (create_model, create-via-load), fixed for its life:
    optim_step with the other optimizer's parameters is refused (400). Saved optimizer state
    carries which one it is."""
    train_unembed: bool | None = None
    """Whether the unembedding has an adapter."""
    train_mlp: bool | None = None
    """Whether the MLPs have adapters."""
    train_attn: bool | None = None
    """Whether attention has adapters."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "optimizer_config": Union_(
            (
                AdamOptimizerConfig,
                DimuonOptimizerConfig,
            ),
            "WeightsInfoResponse.optimizer_config",
        ),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"optimizer_config", "train_unembed", "train_mlp", "train_attn"})
