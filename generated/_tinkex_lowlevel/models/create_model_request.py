from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Obj, WireModel, frozen

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

    _CODECS: ClassVar[dict[str, Codec]] = {
        "lora_config": Obj(LoraConfig),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "create_model"}
    _TAG: ClassVar[str | None] = "create_model"
