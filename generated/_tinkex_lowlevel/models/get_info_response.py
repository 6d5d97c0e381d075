from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Obj, WireModel, frozen

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

    _CODECS: ClassVar[dict[str, Codec]] = {
        "model_data": Obj(ModelData),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "get_info"}
    _TAG: ClassVar[str | None] = "get_info"
