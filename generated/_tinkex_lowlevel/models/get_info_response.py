from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Obj, Union_, WireModel, frozen

from .adam_optimizer_config import AdamOptimizerConfig
from .dimuon_optimizer_config import DimuonOptimizerConfig
from .model_data import ModelData


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GetInfoResponse(WireModel):
    """Answer of get_info."""

    type: Literal["get_info"] | None = None
    """Response tag (optional, nullable)."""
    model_data: ModelData
    """Architecture facts of a model. The client needs `model_name` (and uses `tokenizer_id` when present)."""
    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    is_lora: bool | None = None
    """Whether the run trains a LoRA."""
    lora_rank: int | None = None
    """LoRA rank."""
    model_name: str | None = None
    """Base model name."""
    optimizer_config: AdamOptimizerConfig | DimuonOptimizerConfig | None = None
    """The optimizer a model is created with (create_model, create-via-load), fixed for its life:
    optim_step with the other optimizer's parameters is refused (400). Saved optimizer state
    carries which one it is."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "model_data": Obj(ModelData),
        "optimizer_config": Union_(
            (
                AdamOptimizerConfig,
                DimuonOptimizerConfig,
            ),
            "GetInfoResponse.optimizer_config",
        ),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "get_info"}
    _TAG: ClassVar[str | None] = "get_info"
    _LATER: ClassVar[frozenset[str]] = frozenset({"optimizer_config"})
