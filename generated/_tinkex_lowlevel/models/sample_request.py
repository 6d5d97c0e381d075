from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Check, Codec, Obj, WireModel, frozen
from tinkex.types._mixins import SampleRequestMixin

from .model_input import ModelInput
from .sampling_params import SamplingParams


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SampleRequest(SampleRequestMixin, WireModel):
    """Body of asample. The client addresses a sampler with `sampling_session_id` + `seq_id`;
    `base_model` / `model_path` are an alternative addressing it never uses.
    `prompt_logprobs` null means false."""

    num_samples: int = 1
    """Sequences to draw. The tinkex local server refuses more than 128 (`--max-num-samples`) with 422."""
    prompt: ModelInput
    """A model input as a list of chunks (may be empty)."""
    sampling_params: SamplingParams
    """Sampling knobs. Omitted fields take these defaults. Decision: `max_tokens` null means the server's
    limit (the remaining context). `stop` is a string, a list of strings or a list of token ids."""
    base_model: str | None = None
    """Alternative addressing."""
    model_path: str | None = None
    """Alternative addressing."""
    sampling_session_id: str | None = None
    """The sampler."""
    seq_id: int | None = None
    """Per-sampler counter; required with sampling_session_id."""
    prompt_logprobs: bool | None = None
    """Return the prompt's log-probabilities."""
    topk_prompt_logprobs: int = 0
    """> 0: return the top-k per prompt position."""
    type: Literal["sample"] = "sample"
    """Request tag."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "prompt": Obj(ModelInput),
        "sampling_params": Obj(SamplingParams),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "sample"}
    _TAG: ClassVar[str | None] = "sample"
    _CHECKS: ClassVar[tuple[Check, ...]] = (
        Check("num_samples", "int", 1, False, "pass num_samples=1 or more"),
        Check("seq_id", "int", None, True, ""),
        Check("topk_prompt_logprobs", "int", 0, False, "pass topk_prompt_logprobs=0 or more"),
    )
