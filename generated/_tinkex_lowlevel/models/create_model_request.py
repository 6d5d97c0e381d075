from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Obj, Union_, WireModel, frozen

from .adam_optimizer_config import AdamOptimizerConfig
from .dimuon_optimizer_config import DimuonOptimizerConfig
from .json_object import JSONObject
from .lora_config import LoraConfig


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CreateModelRequest(WireModel):
    """Body of create_model."""

    session_id: str
    """The owning session."""
    model_seq_id: int
    """Per-session counter from 0."""
    base_model: str
    """One of get_server_capabilities' model names."""
    user_metadata: JSONObject | None = None
    """Arbitrary JSON metadata."""
    lora_config: LoraConfig | None = None
    """LoRA settings."""
    type: Literal["create_model"] = "create_model"
    """Request tag."""
    optimizer_config: AdamOptimizerConfig | DimuonOptimizerConfig | None = None
    """The optimizer a model is created with (create_model, create-via-load), fixed for its life:
    optim_step with the other optimizer's parameters is refused (400). Saved optimizer state
    carries which one it is."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "lora_config": Obj(LoraConfig),
        "optimizer_config": Union_(
            (
                AdamOptimizerConfig,
                DimuonOptimizerConfig,
            ),
            "CreateModelRequest.optimizer_config",
        ),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "create_model"}
    _TAG: ClassVar[str | None] = "create_model"
    _LATER: ClassVar[frozenset[str]] = frozenset({"optimizer_config"})
