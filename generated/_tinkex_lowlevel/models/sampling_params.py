from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Check, WireModel, frozen
from tinkex.types._mixins import SamplingParamsMixin


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SamplingParams(SamplingParamsMixin, WireModel):
    """Sampling knobs. Omitted fields take these defaults. Decision: `max_tokens` null means the server's
    limit (the remaining context). `stop` is a string, a list of strings or a list of token ids."""

    max_tokens: int | None = None
    """Maximum tokens to generate. The tinkex local server refuses more than 8192 (`--max-tokens`) with 422."""
    seed: int | None = None
    """Sampling seed."""
    stop: str | list[str] | list[int] | None = None
    """Stop strings or stop token ids."""
    temperature: float = 1.0
    """Softmax temperature."""
    top_k: int = -1
    """Top-k cut-off; -1 = none."""
    top_p: float = 1.0
    """Nucleus cut-off."""

    _CHECKS: ClassVar[tuple[Check, ...]] = (
        Check("max_tokens", "int", 1, True, ""),
        Check("seed", "int", None, True, ""),
        Check("temperature", "number", None, False, ""),
        Check("top_k", "int", None, False, "pass top_k=-1 to disable"),
        Check("top_p", "number", None, False, ""),
    )
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"stop"})
