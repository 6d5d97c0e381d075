from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SupportedModel(WireModel):
    """One trainable base model."""

    model_name: str | None = None
    """HF-style name, e.g. `Qwen/Qwen3-8B`."""
    max_context_length: int | None = None
    """Tokens of context."""
    trainable: bool | None = None
    """LoRA training offered (always here)."""
    sampleable: bool | None = None
    """Sampling offered (always here)."""

    _LATER: ClassVar[frozenset[str]] = frozenset({"max_context_length", "trainable", "sampleable"})
