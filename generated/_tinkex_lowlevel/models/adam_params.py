from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Check, WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class AdamParams(WireModel):
    """AdamW hyper-parameters. Omitted fields take these defaults (the 0.7.0 client omits unset ones)."""

    learning_rate: float = 0.0001
    """Step size."""
    beta1: float = 0.9
    """First-moment decay."""
    beta2: float = 0.95
    """Second-moment decay."""
    eps: float = 1e-12
    """Denominator epsilon."""
    weight_decay: float = 0.0
    """Decoupled weight decay (0.7.0)."""
    grad_clip_norm: float = 0.0
    """Global gradient-norm clip; 0 = no clipping (0.7.0)."""

    _CHECKS: ClassVar[tuple[Check, ...]] = (
        Check("learning_rate", "number", None, False, ""),
        Check("beta1", "number", None, False, ""),
        Check("beta2", "number", None, False, ""),
        Check("eps", "number", None, False, ""),
        Check("weight_decay", "number", None, False, ""),
        Check("grad_clip_norm", "number", None, False, ""),
    )
