from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ModelData(WireModel):
    """Architecture facts of a model. The client needs `model_name` (and uses `tokenizer_id` when present)."""

    arch: str | None = None
    """Architecture name."""
    model_name: str | None = None
    """Base model name."""
    tokenizer_id: str | None = None
    """Tokenizer to load."""
