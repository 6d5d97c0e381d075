"""Hand-written behaviour of generated wire types that the spec cannot say: argument checks with
errors that name the field and the fix, official helpers, fast decode paths and short reprs.

Each mixin is named by its schema's `x-tinkex-mixin` in openapi/tinker.yaml; the generated class puts
it first in its bases. A mixin declares no wire field (fields live in the spec); it only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import Codec, Enum_, Pairs, WireModel, is_int
from tinkex.types._enums import RequestErrorCategory

if TYPE_CHECKING:
    from _tinkex_lowlevel.models.datum import Datum
    from _tinkex_lowlevel.models.sampled_sequence import SampledSequence

__all__ = [
    "ForwardBackwardInputMixin",
    "ForwardBackwardOutputMixin",
    "ParsedCheckpointTinkerPathMixin",
    "RequestFailedResponseMixin",
    "SampleRequestMixin",
    "SampleResponseMixin",
    "SampledSequenceMixin",
    "SamplingParamsMixin",
]


# --- request parameter objects -------------------------------------------------------------------------
# (LoraConfig and AdamParams need no mixin: their number checks are generated from the spec.)


class SamplingParamsMixin(WireModel):
    """How to sample: max_tokens, seed, stop sequences, temperature, top_k (-1 = off), top_p.

    Example::

        >>> from tinkex.types import SamplingParams
        >>> SamplingParams(max_tokens=20, temperature=0.0).top_k
        -1
    """

    __slots__ = ()

    if TYPE_CHECKING:
        stop: Any

    def __post_init__(self) -> None:
        super().__post_init__()  # the generated number checks
        _check_stop(self.stop)


def _check_stop(value: Any) -> None:
    if value is None or isinstance(value, str):
        return
    if isinstance(value, list | tuple) and (
        all(isinstance(v, str) for v in value) or all(is_int(v) for v in value)
    ):
        return
    raise TinkexValidationError(
        "SamplingParams.stop",
        f"must be a string, a list of strings or a list of token ids, got {value!r}",
        "pass e.g. stop=['\\n\\n'] or stop=[tokenizer.eos_token_id]",
    )


# --- request bodies ------------------------------------------------------------------------------------


def _to_datums(value: Any) -> list[Datum]:
    from _tinkex_lowlevel.models.datum import Datum

    if isinstance(value, Datum):
        raise TinkexValidationError(
            "ForwardBackwardInput.data", "got a single Datum", "pass a list: data=[datum]"
        )
    if not isinstance(value, list | tuple):
        raise TinkexValidationError(
            "ForwardBackwardInput.data",
            f"must be a list of Datum, got {type(value).__name__}",
            "pass data=[Datum(...)]",
        )
    out = value if isinstance(value, list) else list(value)
    for i, datum in enumerate(out):
        if not isinstance(datum, Datum):
            if isinstance(datum, dict):
                return [d if isinstance(d, Datum) else Datum.from_dict(d) for d in out]
            raise TinkexValidationError(
                f"ForwardBackwardInput.data[{i}]",
                f"must be a Datum, got {type(datum).__name__}",
                "build it with Datum(...)",
            )
    return out


class ForwardBackwardInputMixin(WireModel):
    """The batch and loss of a forward or forward_backward call.

    Example::

        >>> from tinkex.types import ForwardBackwardInput
        >>> ForwardBackwardInput(data=[], loss_fn="cross_entropy").loss_fn_config is None
        True
    """

    __slots__ = ()

    if TYPE_CHECKING:
        data: list[Datum]
        loss_fn: str
        loss_fn_config: dict[str, float] | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _to_datums(self.data))
        if not isinstance(self.loss_fn, str) or not self.loss_fn:
            raise TinkexValidationError(
                f"{type(self).__name__}.loss_fn",
                f"must be a loss name, got {self.loss_fn!r}",
                "pass one of 'cross_entropy', 'importance_sampling', 'ppo', 'cispo', 'dro'",
            )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"data": [d.to_dict() for d in self.data], "loss_fn": self.loss_fn}
        if self.loss_fn_config is not None:
            out["loss_fn_config"] = self.loss_fn_config
        return out

    def __repr__(self) -> str:
        return (
            f"ForwardBackwardInput(data=<{len(self.data)} Datum>, loss_fn={self.loss_fn!r}, "
            f"loss_fn_config={self.loss_fn_config!r})"
        )


class SampleRequestMixin(WireModel):
    """Body of asample: a prompt, how many samples, and how to sample.

    Example::

        >>> from tinkex.types import ModelInput, SampleRequest, SamplingParams
        >>> r = SampleRequest(prompt=ModelInput.from_ints([1]), sampling_params=SamplingParams(max_tokens=4),
        ...                   sampling_session_id="s:sample:0", seq_id=0)
        >>> r.to_dict()["num_samples"], r.to_dict()["type"]
        (1, 'sample')
    """

    __slots__ = ()

    if TYPE_CHECKING:
        prompt: Any

    def __post_init__(self) -> None:
        from _tinkex_lowlevel.models.model_input import ModelInput

        if not isinstance(self.prompt, ModelInput):
            if not isinstance(self.prompt, dict):
                raise TinkexValidationError(
                    "SampleRequest.prompt",
                    f"must be a ModelInput, got {type(self.prompt).__name__}",
                    "use ModelInput.from_ints(tokens)",
                )
            object.__setattr__(self, "prompt", ModelInput.from_dict(self.prompt))
        super().__post_init__()  # the generated number checks and the nested objects


# --- responses -----------------------------------------------------------------------------------------


class ForwardBackwardOutputMixin(WireModel):
    """Result of forward / forward_backward: per-datum loss outputs and `name:reduction` metrics.

    Example::

        >>> from tinkex.types import ForwardBackwardOutput
        >>> out = ForwardBackwardOutput.from_dict({
        ...     "loss_fn_output_type": "cross_entropy",
        ...     "loss_fn_outputs": [{"logprobs": {"data": [-0.5], "dtype": "float32"}}],
        ...     "metrics": {"loss:sum": 0.5}})
        >>> out.loss_fn_outputs[0]["logprobs"].data
        [-0.5]
    """

    __slots__ = ()

    if TYPE_CHECKING:
        loss_fn_output_type: str
        loss_fn_outputs: list[Any]
        metrics: dict[str, float]

    def __repr__(self) -> str:
        return (
            f"ForwardBackwardOutput(loss_fn_output_type={self.loss_fn_output_type!r}, "
            f"loss_fn_outputs=<{len(self.loss_fn_outputs)} outputs>, metrics={self.metrics!r})"
        )


class SampledSequenceMixin(WireModel):
    """One generated sequence: tokens, optional per-token logprobs, and why it stopped.

    Example::

        >>> from tinkex.types import SampledSequence
        >>> SampledSequence.from_dict({"stop_reason": "length", "tokens": [5, 6]}).tokens
        [5, 6]
    """

    __slots__ = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        if isinstance(d, cls):
            return d
        try:
            return cls(  # type: ignore[call-arg]
                stop_reason=d["stop_reason"],
                tokens=d["tokens"],
                logprobs=d.get("logprobs"),
                sequence_id=d.get("sequence_id"),  # tinker 0.38; absent from 0.7.0 answers
                topk_logprobs=d.get("topk_logprobs"),
            )
        except (KeyError, TypeError, AttributeError):
            return super().from_dict(d)


class SampleResponseMixin(WireModel):
    """Result of a sample: the sequences, and prompt logprobs when asked for.

    `topk_prompt_logprobs` holds, per prompt token, None or a list of `[token_id, logprob]` pairs.

    Example::

        >>> from tinkex.types import SampleResponse
        >>> r = SampleResponse.from_dict({"sequences": [{"stop_reason": "stop", "tokens": [1]}]})
        >>> r.sequences[0].stop_reason
        'stop'
    """

    __slots__ = ()

    if TYPE_CHECKING:
        sequences: list[SampledSequence]

    _MIXIN_CODECS: ClassVar[dict[str, Codec]] = {"topk_prompt_logprobs": Pairs()}


class RequestFailedResponseMixin(WireModel):
    """A retrieve_future reply meaning the request failed; `category` says whose fault it was.

    Example::

        >>> from tinkex.types import RequestFailedResponse
        >>> RequestFailedResponse.from_dict({"error": "bad", "category": "user"}).category
        <RequestErrorCategory.User: 'user'>
    """

    __slots__ = ()

    # The category is a StrEnum in Python; an unknown value from a newer server reads as Unknown.
    _MIXIN_CODECS: ClassVar[dict[str, Codec]] = {
        "category": Enum_(RequestErrorCategory, fallback=RequestErrorCategory.Unknown)
    }


class ParsedCheckpointTinkerPathMixin(WireModel):
    """A tinker:// checkpoint path split into run id, checkpoint type and checkpoint id.

    Example::

        >>> from tinkex.types import ParsedCheckpointTinkerPath
        >>> p = ParsedCheckpointTinkerPath.from_tinker_path("tinker://run-1/weights/step-5")
        >>> p.training_run_id, p.checkpoint_type, p.checkpoint_id
        ('run-1', 'training', 'weights/step-5')
    """

    __slots__ = ()

    @classmethod
    def from_tinker_path(cls, tinker_path: str) -> Self:
        """Parse a path; raises `TinkexValidationError` (a ValueError) showing the expected form."""
        from tinkex._tinker_path import parse_tinker_path

        parsed = parse_tinker_path(tinker_path, field="tinker_path")
        return cls(
            tinker_path=tinker_path,  # type: ignore[call-arg]
            training_run_id=parsed.training_run_id,
            checkpoint_type=parsed.checkpoint_type,
            checkpoint_id=parsed.checkpoint_id,
        )
