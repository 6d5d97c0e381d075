from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from tinkex.types._base import WireModel, frozen
from tinkex.types._mixins import SampledSequenceMixin

from .stop_reason import StopReason


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SampledSequence(SampledSequenceMixin, WireModel):
    """One generated sequence."""

    stop_reason: StopReason
    """Why a sampled sequence ended (`length` = max_tokens reached, `stop` = a stop string or token)."""
    tokens: list[int]
    """Generated token ids."""
    logprobs: list[float] | None = None
    """Log-probability of each generated token."""
    sequence_id: str | None = None
    """The sample_sequence_ids entry (the 0.38 client stamps it from the future)."""
    topk_logprobs: list[Any] | None = None
    """Per sampled token, [[token, logprob], ...] best first (topk_sample_logprobs)."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "stop_reason": frozenset({"length", "stop"}),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"sequence_id", "topk_logprobs"})
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"tokens", "logprobs", "topk_logprobs"})
