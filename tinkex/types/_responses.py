"""Response bodies: immediate replies, future results, and the future protocol's own types.

Decoding is tolerant (unknown keys ignored, missing optional keys and nulls take defaults, `type`
optional) and passes per-token arrays through as the decoded lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from tinkex.types._base import JSON, Codec, DictOf, Enum_, ListOf, Obj, WireModel, short_repr
from tinkex.types._datum import LossFnOutput
from tinkex.types._enums import ModelID, QueueState, RequestErrorCategory, RequestID, StopReason
from tinkex.types._tensor import TensorData

__all__ = [
    "CreateModelResponse",
    "CreateSamplingSessionResponse",
    "CreateSessionResponse",
    "ForwardBackwardOutput",
    "FutureRetrieveResponse",
    "GetInfoResponse",
    "GetSamplerResponse",
    "GetServerCapabilitiesResponse",
    "GetSessionResponse",
    "HealthResponse",
    "ListSessionsResponse",
    "LoadWeightsResponse",
    "ModelData",
    "OptimStepResponse",
    "RequestFailedResponse",
    "SampleResponse",
    "SampledSequence",
    "SaveWeightsForSamplerResponse",
    "SaveWeightsForSamplerResponseInternal",
    "SaveWeightsResponse",
    "SessionHeartbeatResponse",
    "SupportedModel",
    "TelemetryResponse",
    "TryAgainResponse",
    "UnloadModelResponse",
    "UntypedAPIFuture",
    "WeightsInfoResponse",
]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateSessionResponse(WireModel):
    """Reply of create_session; the messages are for the user (printed/logged by the client).

    Example::

        >>> CreateSessionResponse.from_dict({"session_id": "s"}).session_id
        's'
    """

    type: Literal["create_session"] = "create_session"
    info_message: str | None = None
    warning_message: str | None = None
    error_message: str | None = None
    session_id: str

    _TAG: ClassVar[str] = "create_session"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateModelResponse(WireModel):
    """Result of create_model.

    Example::

        >>> CreateModelResponse.from_dict({"model_id": "run-1"}).model_id
        'run-1'
    """

    model_id: ModelID
    type: Literal["create_model"] = "create_model"

    _TAG: ClassVar[str] = "create_model"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateSamplingSessionResponse(WireModel):
    """Reply of create_sampling_session.

    Example::

        >>> CreateSamplingSessionResponse.from_dict({"sampling_session_id": "s:sample:0"}).sampling_session_id
        's:sample:0'
    """

    type: Literal["create_sampling_session"] = "create_sampling_session"
    sampling_session_id: str

    _TAG: ClassVar[str] = "create_sampling_session"


def _loss_outputs_load(value: Any) -> Any:
    # list[dict[str, TensorData]]: one small object per tensor, the numbers themselves untouched.
    from_dict = TensorData.from_dict
    return [{k: from_dict(v) for k, v in out.items()} for out in value]


class _LossOutputs(Codec):
    __slots__ = ()
    _inner = ListOf(DictOf(Obj(TensorData)))

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        return self._inner.dump(value, mode, exclude_none)

    def load(self, value: Any) -> Any:
        return _loss_outputs_load(value)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ForwardBackwardOutput(WireModel):
    """Result of forward / forward_backward: per-datum loss outputs and `name:reduction` metrics.

    Example::

        >>> out = ForwardBackwardOutput.from_dict({
        ...     "loss_fn_output_type": "cross_entropy",
        ...     "loss_fn_outputs": [{"logprobs": {"data": [-0.5], "dtype": "float32"}}],
        ...     "metrics": {"loss:sum": 0.5}})
        >>> out.loss_fn_outputs[0]["logprobs"].data
        [-0.5]
    """

    loss_fn_output_type: str
    loss_fn_outputs: list[LossFnOutput]
    metrics: dict[str, float]

    _CODECS: ClassVar[dict[str, Codec]] = {"loss_fn_outputs": _LossOutputs()}

    def __repr__(self) -> str:
        return (
            f"ForwardBackwardOutput(loss_fn_output_type={self.loss_fn_output_type!r}, "
            f"loss_fn_outputs=<{len(self.loss_fn_outputs)} outputs>, metrics={self.metrics!r})"
        )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class OptimStepResponse(WireModel):
    """Result of optim_step.

    Example::

        >>> OptimStepResponse.from_dict({}).metrics is None
        True
    """

    metrics: dict[str, float] | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SaveWeightsResponse(WireModel):
    """Result of save_weights: the tinker:// path of the checkpoint.

    Example::

        >>> SaveWeightsResponse.from_dict({"path": "tinker://r/weights/a"}).path
        'tinker://r/weights/a'
    """

    path: str
    type: Literal["save_weights"] | None = None

    _TAG: ClassVar[str] = "save_weights"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LoadWeightsResponse(WireModel):
    """Result of load_weights.

    Example::

        >>> LoadWeightsResponse.from_dict({"path": "tinker://r/weights/a", "type": "load_weights"}).type
        'load_weights'
    """

    path: str | None = None
    type: Literal["load_weights"] | None = None

    _TAG: ClassVar[str] = "load_weights"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SaveWeightsForSamplerResponseInternal(WireModel):
    """Result of save_weights_for_sampler as sent: a path (named save) or a sampling session id (ephemeral).

    Example::

        >>> SaveWeightsForSamplerResponseInternal.from_dict({"sampling_session_id": "s:sample:1"}).path is None
        True
    """

    path: str | None = None
    sampling_session_id: str | None = None
    type: Literal["save_weights_for_sampler"] | None = None

    _TAG: ClassVar[str] = "save_weights_for_sampler"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SaveWeightsForSamplerResponse(WireModel):
    """What save_weights_for_sampler returns to the user: the sampler checkpoint's tinker:// path.

    Example::

        >>> SaveWeightsForSamplerResponse(path="tinker://r/sampler_weights/s").path
        'tinker://r/sampler_weights/s'
    """

    path: str
    type: Literal["save_weights_for_sampler"] | None = None

    _TAG: ClassVar[str] = "save_weights_for_sampler"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnloadModelResponse(WireModel):
    """Result of unload_model.

    Example::

        >>> UnloadModelResponse.from_dict({"model_id": "m"}).model_id
        'm'
    """

    model_id: ModelID
    type: Literal["unload_model"] | None = None

    _TAG: ClassVar[str] = "unload_model"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ModelData(WireModel):
    """Model facts inside get_info (architecture, name, tokenizer id).

    Example::

        >>> ModelData(tokenizer_id="gpt2").arch is None
        True
    """

    arch: str | None = None
    model_name: str | None = None
    tokenizer_id: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetInfoResponse(WireModel):
    """Reply of get_info.

    Example::

        >>> GetInfoResponse.from_dict({"model_data": {"tokenizer_id": "t"}, "model_id": "m"}).model_data.tokenizer_id
        't'
    """

    type: Literal["get_info"] | None = None
    model_data: ModelData
    model_id: ModelID
    is_lora: bool | None = None
    lora_rank: int | None = None
    model_name: str | None = None

    _TAG: ClassVar[str] = "get_info"
    _CODECS: ClassVar[dict[str, Codec]] = {"model_data": Obj(ModelData)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SupportedModel(WireModel):
    """One base model the server offers.

    Example::

        >>> SupportedModel(model_name="tiny").model_name
        'tiny'
    """

    model_name: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetServerCapabilitiesResponse(WireModel):
    """Reply of get_server_capabilities.

    Example::

        >>> r = GetServerCapabilitiesResponse.from_dict({"supported_models": [{"model_name": "a"}]})
        >>> [m.model_name for m in r.supported_models]
        ['a']
    """

    supported_models: list[SupportedModel]

    _CODECS: ClassVar[dict[str, Codec]] = {"supported_models": ListOf(Obj(SupportedModel))}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetSessionResponse(WireModel):
    """Reply of GET /sessions/{id}: the session's training runs and samplers.

    Example::

        >>> GetSessionResponse(training_run_ids=["r"], sampler_ids=[]).training_run_ids
        ['r']
    """

    training_run_ids: list[ModelID]
    sampler_ids: list[str]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ListSessionsResponse(WireModel):
    """Reply of GET /sessions.

    Example::

        >>> ListSessionsResponse(sessions=["s1"]).sessions
        ['s1']
    """

    sessions: list[str]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetSamplerResponse(WireModel):
    """Reply of GET /samplers/{id}.

    Example::

        >>> GetSamplerResponse(sampler_id="s:sample:0", base_model="m").model_path is None
        True
    """

    sampler_id: str
    base_model: str
    model_path: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WeightsInfoResponse(WireModel):
    """Minimal facts to load a checkpoint (base model, LoRA rank).

    Example::

        >>> WeightsInfoResponse(base_model="m", is_lora=True, lora_rank=8).lora_rank
        8
    """

    base_model: str
    is_lora: bool
    lora_rank: int | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class HealthResponse(WireModel):
    """Reply of healthz.

    Example::

        >>> HealthResponse(status="ok").status
        'ok'
    """

    status: Literal["ok"]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SessionHeartbeatResponse(WireModel):
    """Reply of session_heartbeat.

    Example::

        >>> SessionHeartbeatResponse.from_dict({}).type
        'session_heartbeat'
    """

    type: Literal["session_heartbeat"] = "session_heartbeat"

    _TAG: ClassVar[str] = "session_heartbeat"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TelemetryResponse(WireModel):
    """Reply of telemetry.

    Example::

        >>> TelemetryResponse(status="accepted").status
        'accepted'
    """

    status: Literal["accepted"]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UntypedAPIFuture(WireModel):
    """The immediate reply of every future-returning call: the request id to poll.

    Example::

        >>> UntypedAPIFuture.from_dict({"request_id": "r1", "model_id": None}).request_id
        'r1'
    """

    request_id: RequestID
    model_id: ModelID | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TryAgainResponse(WireModel):
    """A retrieve_future reply meaning "still pending": poll again; `queue_state` says why it waits.

    Example::

        >>> TryAgainResponse.from_dict({"type": "try_again", "request_id": "r", "queue_state": "active"}).queue_state
        'active'
    """

    type: Literal["try_again"] = "try_again"
    request_id: str
    queue_state: QueueState

    _TAG: ClassVar[str] = "try_again"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RequestFailedResponse(WireModel):
    """A retrieve_future reply meaning the request failed; `category` says whose fault it was.

    Example::

        >>> RequestFailedResponse.from_dict({"error": "bad", "category": "user"}).category
        <RequestErrorCategory.User: 'user'>
    """

    error: str
    category: RequestErrorCategory = attrs.field(converter=RequestErrorCategory)

    _CODECS: ClassVar[dict[str, Codec]] = {
        "category": Enum_(RequestErrorCategory, fallback=RequestErrorCategory.Unknown)
    }


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SampledSequence(WireModel):
    """One generated sequence: tokens, optional per-token logprobs, and why it stopped.

    Example::

        >>> SampledSequence.from_dict({"stop_reason": "length", "tokens": [5, 6]}).tokens
        [5, 6]
    """

    stop_reason: StopReason
    tokens: list[int] = attrs.field(repr=short_repr)
    logprobs: list[float] | None = attrs.field(default=None, repr=short_repr)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SampledSequence:
        if isinstance(d, SampledSequence):
            return d
        try:
            return cls(stop_reason=d["stop_reason"], tokens=d["tokens"], logprobs=d.get("logprobs"))
        except (KeyError, TypeError, AttributeError):
            return super().from_dict(d)


def _load_sequences(value: Any) -> Any:
    return [SampledSequence.from_dict(s) for s in value]


class _Sequences(Codec):
    __slots__ = ()
    _inner = ListOf(Obj(SampledSequence))

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        return self._inner.dump(value, mode, exclude_none)

    def load(self, value: Any) -> Any:
        return _load_sequences(value)


class _TopK(Codec):
    """Per prompt token None or (token_id, logprob) pairs: passed through on the wire and on decode;
    pairs become lists only for model_dump(mode="json"), as pydantic does."""

    __slots__ = ()

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if mode != JSON:
            return value
        return [None if row is None else [list(pair) for pair in row] for row in value]

    def load(self, value: Any) -> Any:
        return value


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SampleResponse(WireModel):
    """Result of a sample: the sequences, and prompt logprobs when asked for.

    `topk_prompt_logprobs` holds, per prompt token, None or a list of `[token_id, logprob]` pairs.

    Example::

        >>> r = SampleResponse.from_dict({"sequences": [{"stop_reason": "stop", "tokens": [1]}]})
        >>> r.sequences[0].stop_reason
        'stop'
    """

    sequences: list[SampledSequence]
    type: Literal["sample"] = "sample"
    prompt_logprobs: list[float | None] | None = attrs.field(default=None, repr=short_repr)
    topk_prompt_logprobs: list[list[tuple[int, float]] | None] | None = attrs.field(
        default=None, repr=short_repr
    )

    _TAG: ClassVar[str] = "sample"
    _CODECS: ClassVar[dict[str, Codec]] = {"sequences": _Sequences(), "topk_prompt_logprobs": _TopK()}


FutureRetrieveResponse: TypeAlias = (
    TryAgainResponse
    | ForwardBackwardOutput
    | OptimStepResponse
    | SaveWeightsResponse
    | LoadWeightsResponse
    | SaveWeightsForSamplerResponse
    | CreateModelResponse
    | UnloadModelResponse
    | RequestFailedResponse
)
