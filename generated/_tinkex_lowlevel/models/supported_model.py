from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SupportedModel(WireModel):
    """One trainable base model."""

    model_name: str | None = None
    """HF-style name, e.g. `Qwen/Qwen3-8B`."""
