from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Check, WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class LoraConfig(WireModel):
    """LoRA settings of a new training run. At least one of the three train_* flags must be true."""

    rank: int
    """LoRA rank. The tinkex local server refuses ranks above 1024 with 400."""
    seed: int | None = None
    """Initialisation seed; null = random."""
    train_unembed: bool = True
    """Adapt the unembedding."""
    train_mlp: bool = True
    """Adapt MLP (and MoE) layers."""
    train_attn: bool = True
    """Adapt attention layers."""

    _CHECKS: ClassVar[tuple[Check, ...]] = (
        Check("rank", "int", 1, False, "pass rank=8, 16, 32 ..."),
        Check("seed", "int", None, True, ""),
    )
