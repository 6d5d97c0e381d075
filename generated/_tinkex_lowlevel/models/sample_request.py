from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Check, Codec, Obj, WireModel, frozen
from tinkex.types._mixins import SampleRequestMixin

from .model_input import ModelInput
from .sampling_params import SamplingParams
from .tensor_data import TensorData


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
    topk_sample_logprobs: int | None = None
    """Top-k logprobs at every sampled position (the model's own, temperature 1)."""
    target_prompt_logprobs: TensorData | None = None
    """int64 [len(prompt) - 1, K] token ids (dense or CSR; -1 = none): row i is scored at prompt position i +
    1; answered as a float32 tensor of the same shape, 0.0 in -1 cells."""
    prompt_alt_tokens_k: int | None = None
    """k draws at the request's temperature from the next-token distribution at every prompt position after the
    first, with their logprobs ([len(prompt) - 1, k])."""
    prompt_logprobs_last_n: int | None = None
    """Only the last n prompt positions are scored (earlier entries null); needs prompt_logprobs; 1 <= n <=
    len(prompt) - 1."""
    record_stability_info: bool | None = None
    """Accepted and ignored: stable_reinforce here needs no per-sequence records, only the datum's logprobs."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "prompt": Obj(ModelInput),
        "sampling_params": Obj(SamplingParams),
        "target_prompt_logprobs": Obj(TensorData),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "sample"}
    _TAG: ClassVar[str | None] = "sample"
    _CHECKS: ClassVar[tuple[Check, ...]] = (
        Check("num_samples", "int", 1, False, "pass num_samples=1 or more"),
        Check("seq_id", "int", None, True, ""),
        Check("topk_prompt_logprobs", "int", 0, False, "pass topk_prompt_logprobs=0 or more"),
        Check("topk_sample_logprobs", "int", 0, True, ""),
        Check("prompt_alt_tokens_k", "int", 0, True, ""),
        Check("prompt_logprobs_last_n", "int", 1, True, ""),
    )
    _LATER: ClassVar[frozenset[str]] = frozenset(
        {
            "topk_sample_logprobs",
            "target_prompt_logprobs",
            "prompt_alt_tokens_k",
            "prompt_logprobs_last_n",
            "record_stability_info",
        }
    )
