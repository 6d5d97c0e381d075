from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen
from tinkex.types._mixins import SampleResponseMixin

from .prompt_alt_tokens import PromptAltTokens
from .sampled_sequence import SampledSequence
from .tensor_data import TensorData


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SampleResponse(SampleResponseMixin, WireModel):
    """Result of asample. `prompt_logprobs` has one value per prompt token (the first is normally null).
    `topk_prompt_logprobs` has, per prompt position, null or up to k `[token_id, logprob]` pairs."""

    sequences: list[SampledSequence]
    """num_samples sequences."""
    type: Literal["sample"] = "sample"
    """Result tag."""
    prompt_logprobs: list[float | None] | None = None
    """Log-probability of each prompt token."""
    topk_prompt_logprobs: list[list[list[int | float]] | None] | None = None
    """Top-k alternatives per prompt position."""
    prompt_cache_hit_tokens: int | None = None
    """Prompt tokens served from a prefix cache: always 0 here (no cache)."""
    target_prompt_logprobs: TensorData | None = None
    """See SampleRequest.target_prompt_logprobs."""
    prompt_alt_tokens: PromptAltTokens | None = None
    """See SampleRequest.prompt_alt_tokens_k."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "sequences": ListOf(Obj(SampledSequence)),
        "target_prompt_logprobs": Obj(TensorData),
        "prompt_alt_tokens": Obj(PromptAltTokens),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "sample"}
    _TAG: ClassVar[str | None] = "sample"
    _LATER: ClassVar[frozenset[str]] = frozenset(
        {"prompt_cache_hit_tokens", "target_prompt_logprobs", "prompt_alt_tokens"}
    )
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"prompt_logprobs", "topk_prompt_logprobs"})
