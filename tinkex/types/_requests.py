"""Request bodies and their parameter objects (LoraConfig, AdamParams, SamplingParams, ...).

Field names, order and defaults are those of the official 0.7.0 types; `to_dict` sends the `type`
tag and every non-None field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

import attrs

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import Codec, ListOf, Obj, Union_, WireModel, is_int, is_number
from tinkex.types._datum import Datum
from tinkex.types._enums import LossFnType, ModelID, RequestID
from tinkex.types._model_input import ModelInput

__all__ = [
    "AdamParams",
    "CreateModelRequest",
    "CreateSamplingSessionRequest",
    "CreateSessionRequest",
    "ForwardBackwardInput",
    "ForwardBackwardRequest",
    "ForwardRequest",
    "FutureRetrieveRequest",
    "GetInfoRequest",
    "LoadWeightsRequest",
    "LoraConfig",
    "OptimStepRequest",
    "SampleRequest",
    "SamplingParams",
    "SaveWeightsForSamplerRequest",
    "SaveWeightsRequest",
    "SessionHeartbeatRequest",
    "TelemetrySendRequest",
    "UnloadModelRequest",
]

# --- validators ---------------------------------------------------------------------------------------

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _number(fix: str = "") -> _Validator:
    def check(inst: Any, att: attrs.Attribute[Any], value: Any) -> None:
        if not is_number(value):
            raise TinkexValidationError(
                f"{type(inst).__name__}.{att.name}",
                f"must be a number, got {value!r}",
                fix or f"pass {att.name}=<float>",
            )

    return check


def _integer(minimum: int | None = None, optional: bool = False, fix: str = "") -> _Validator:
    def check(inst: Any, att: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not is_int(value) or (minimum is not None and value < minimum):
            bound = f" >= {minimum}" if minimum is not None else ""
            raise TinkexValidationError(
                f"{type(inst).__name__}.{att.name}",
                f"must be an int{bound}, got {value!r}",
                fix or f"pass {att.name}=<int{bound}>",
            )

    return check


def _loss_fn(inst: Any, att: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise TinkexValidationError(
            f"{type(inst).__name__}.loss_fn",
            f"must be a loss name, got {value!r}",
            "pass one of 'cross_entropy', 'importance_sampling', 'ppo', 'cispo', 'dro'",
        )


def _stop(inst: Any, att: attrs.Attribute[Any], value: Any) -> None:
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


def _to_datums(value: Any) -> list[Datum]:
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


def _to_model_input(value: Any) -> ModelInput:
    if isinstance(value, ModelInput):
        return value
    if isinstance(value, dict):
        return ModelInput.from_dict(value)
    raise TinkexValidationError(
        "SampleRequest.prompt",
        f"must be a ModelInput, got {type(value).__name__}",
        "use ModelInput.from_ints(tokens)",
    )


def _obj_or_dict(value: Any, cls: type[WireModel], field: str) -> Any:
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.from_dict(value)
    raise TinkexValidationError(
        field, f"must be a {cls.__name__}, got {type(value).__name__}", f"pass {cls.__name__}(...)"
    )


def _to_lora_config(value: Any) -> Any:
    return _obj_or_dict(value, LoraConfig, "CreateModelRequest.lora_config")


def _to_adam_params(value: Any) -> Any:
    return _obj_or_dict(value, AdamParams, "OptimStepRequest.adam_params")


def _to_sampling_params(value: Any) -> Any:
    return _obj_or_dict(value, SamplingParams, "SampleRequest.sampling_params")


def _to_fb_input(value: Any) -> Any:
    return _obj_or_dict(value, ForwardBackwardInput, "forward_backward_input")


# --- parameter objects --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LoraConfig(WireModel):
    """LoRA adapter settings of a new training run.

    Example::

        >>> LoraConfig(rank=16, seed=0).to_dict()
        {'rank': 16, 'seed': 0, 'train_unembed': True, 'train_mlp': True, 'train_attn': True}
    """

    rank: int = attrs.field(validator=_integer(1, fix="pass rank=8, 16, 32 ..."))
    seed: int | None = attrs.field(default=None, validator=_integer(optional=True))
    train_unembed: bool = True
    train_mlp: bool = True
    train_attn: bool = True


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AdamParams(WireModel):
    """AdamW settings of one optimizer step (weight decay is decoupled; grad_clip_norm 0 = no clipping).

    Example::

        >>> AdamParams(learning_rate=1e-4).beta2
        0.95
    """

    learning_rate: float = attrs.field(default=0.0001, validator=_number())
    beta1: float = attrs.field(default=0.9, validator=_number())
    beta2: float = attrs.field(default=0.95, validator=_number())
    eps: float = attrs.field(default=1e-12, validator=_number())
    weight_decay: float = attrs.field(default=0.0, validator=_number())
    grad_clip_norm: float = attrs.field(default=0.0, validator=_number())


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SamplingParams(WireModel):
    """How to sample: max_tokens, seed, stop sequences, temperature, top_k (-1 = off), top_p.

    Example::

        >>> SamplingParams(max_tokens=20, temperature=0.0).top_k
        -1
    """

    max_tokens: int | None = attrs.field(default=None, validator=_integer(1, optional=True))
    seed: int | None = attrs.field(default=None, validator=_integer(optional=True))
    stop: str | Sequence[str] | Sequence[int] | None = attrs.field(default=None, validator=_stop)
    temperature: float = attrs.field(default=1.0, validator=_number())
    top_k: int = attrs.field(default=-1, validator=_integer(fix="pass top_k=-1 to disable"))
    top_p: float = attrs.field(default=1.0, validator=_number())


# --- request bodies ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateSessionRequest(WireModel):
    """Body of create_session.

    Example::

        >>> CreateSessionRequest(tags=["a"], user_metadata=None, sdk_version="0.1.0").to_dict()["type"]
        'create_session'
    """

    tags: list[str]
    user_metadata: dict[str, Any] | None
    sdk_version: str
    type: Literal["create_session"] = "create_session"

    _TAG: ClassVar[str] = "create_session"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateModelRequest(WireModel):
    """Body of create_model (a new LoRA training run).

    Example::

        >>> r = CreateModelRequest(session_id="s", model_seq_id=0, base_model="m", lora_config=LoraConfig(rank=8))
        >>> r.to_dict()["lora_config"]["rank"]
        8
    """

    session_id: str
    model_seq_id: int
    base_model: str
    user_metadata: dict[str, Any] | None = None
    lora_config: LoraConfig | None = attrs.field(default=None, converter=_to_lora_config)
    type: Literal["create_model"] = "create_model"

    _TAG: ClassVar[str] = "create_model"
    _CODECS: ClassVar[dict[str, Codec]] = {"lora_config": Obj(LoraConfig)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateSamplingSessionRequest(WireModel):
    """Body of create_sampling_session (from a tinker:// sampler path or a base model).

    Example::

        >>> CreateSamplingSessionRequest(session_id="s", sampling_session_seq_id=0, base_model="m").to_dict()
        {'session_id': 's', 'sampling_session_seq_id': 0, 'base_model': 'm', 'type': 'create_sampling_session'}
    """

    session_id: str
    sampling_session_seq_id: int
    base_model: str | None = None
    model_path: str | None = None
    type: Literal["create_sampling_session"] = "create_sampling_session"

    _TAG: ClassVar[str] = "create_sampling_session"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ForwardBackwardInput(WireModel):
    """The batch and loss of a forward or forward_backward call.

    Example::

        >>> ForwardBackwardInput(data=[], loss_fn="cross_entropy").loss_fn_config is None
        True
    """

    data: list[Datum] = attrs.field(converter=_to_datums)
    loss_fn: LossFnType = attrs.field(validator=_loss_fn)
    loss_fn_config: dict[str, float] | None = None

    _CODECS: ClassVar[dict[str, Codec]] = {"data": ListOf(Obj(Datum))}

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


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ForwardBackwardRequest(WireModel):
    """Body of forward_backward.

    Example::

        >>> fbi = ForwardBackwardInput(data=[], loss_fn="cross_entropy")
        >>> ForwardBackwardRequest(forward_backward_input=fbi, model_id="m", seq_id=1).to_dict()["seq_id"]
        1
    """

    forward_backward_input: ForwardBackwardInput = attrs.field(converter=_to_fb_input)
    model_id: ModelID
    seq_id: int | None = None

    _CODECS: ClassVar[dict[str, Codec]] = {"forward_backward_input": Obj(ForwardBackwardInput)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ForwardRequest(WireModel):
    """Body of forward (no gradients).

    Example::

        >>> fi = ForwardBackwardInput(data=[], loss_fn="cross_entropy")
        >>> sorted(ForwardRequest(forward_input=fi, model_id="m").to_dict())
        ['forward_input', 'model_id']
    """

    forward_input: ForwardBackwardInput = attrs.field(converter=_to_fb_input)
    model_id: ModelID
    seq_id: int | None = None

    _CODECS: ClassVar[dict[str, Codec]] = {"forward_input": Obj(ForwardBackwardInput)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class OptimStepRequest(WireModel):
    """Body of optim_step.

    Example::

        >>> OptimStepRequest(adam_params=AdamParams(), model_id="m").to_dict()["type"]
        'optim_step'
    """

    adam_params: AdamParams = attrs.field(converter=_to_adam_params)
    model_id: ModelID
    seq_id: int | None = None
    type: Literal["optim_step"] = "optim_step"

    _TAG: ClassVar[str] = "optim_step"
    _CODECS: ClassVar[dict[str, Codec]] = {"adam_params": Obj(AdamParams)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SaveWeightsRequest(WireModel):
    """Body of save_weights (a training checkpoint, optimizer state included).

    Example::

        >>> SaveWeightsRequest(model_id="m", path="step-1").to_dict()
        {'model_id': 'm', 'path': 'step-1', 'type': 'save_weights'}
    """

    model_id: ModelID
    path: str | None = None
    seq_id: int | None = None
    type: Literal["save_weights"] = "save_weights"

    _TAG: ClassVar[str] = "save_weights"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SaveWeightsForSamplerRequest(WireModel):
    """Body of save_weights_for_sampler (named, or ephemeral with sampling_session_seq_id).

    Example::

        >>> SaveWeightsForSamplerRequest(model_id="m", path="s1").to_dict()["type"]
        'save_weights_for_sampler'
    """

    model_id: ModelID
    path: str | None = None
    sampling_session_seq_id: int | None = None
    seq_id: int | None = None
    type: Literal["save_weights_for_sampler"] = "save_weights_for_sampler"

    _TAG: ClassVar[str] = "save_weights_for_sampler"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LoadWeightsRequest(WireModel):
    """Body of load_weights (a tinker://.../weights/... path, with or without optimizer state).

    Example::

        >>> LoadWeightsRequest(model_id="m", path="tinker://r/weights/a", optimizer=True).to_dict()["optimizer"]
        True
    """

    model_id: ModelID
    path: str
    optimizer: bool
    seq_id: int | None = None
    type: Literal["load_weights"] = "load_weights"

    _TAG: ClassVar[str] = "load_weights"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetInfoRequest(WireModel):
    """Body of get_info.

    Example::

        >>> GetInfoRequest(model_id="m").to_dict()
        {'model_id': 'm', 'type': 'get_info'}
    """

    model_id: ModelID
    type: Literal["get_info"] = "get_info"

    _TAG: ClassVar[str] = "get_info"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnloadModelRequest(WireModel):
    """Body of unload_model.

    Example::

        >>> UnloadModelRequest(model_id="m").to_dict()["type"]
        'unload_model'
    """

    model_id: ModelID
    type: Literal["unload_model"] = "unload_model"

    _TAG: ClassVar[str] = "unload_model"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SessionHeartbeatRequest(WireModel):
    """Body of session_heartbeat.

    Example::

        >>> SessionHeartbeatRequest(session_id="s").to_dict()
        {'session_id': 's', 'type': 'session_heartbeat'}
    """

    session_id: str
    type: Literal["session_heartbeat"] = "session_heartbeat"

    _TAG: ClassVar[str] = "session_heartbeat"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class FutureRetrieveRequest(WireModel):
    """Body of retrieve_future.

    Example::

        >>> FutureRetrieveRequest(request_id="r1").to_dict()
        {'request_id': 'r1'}
    """

    request_id: RequestID


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SampleRequest(WireModel):
    """Body of asample: a prompt, how many samples, and how to sample.

    Example::

        >>> r = SampleRequest(prompt=ModelInput.from_ints([1]), sampling_params=SamplingParams(max_tokens=4),
        ...                   sampling_session_id="s:sample:0", seq_id=0)
        >>> r.to_dict()["num_samples"], r.to_dict()["type"]
        (1, 'sample')
    """

    num_samples: int = attrs.field(default=1, validator=_integer(1, fix="pass num_samples=1 or more"))
    prompt: ModelInput = attrs.field(converter=_to_model_input)
    sampling_params: SamplingParams = attrs.field(converter=_to_sampling_params)
    base_model: str | None = None
    model_path: str | None = None
    sampling_session_id: str | None = None
    seq_id: int | None = None
    prompt_logprobs: bool | None = None
    topk_prompt_logprobs: int = attrs.field(
        default=0, validator=_integer(0, fix="pass topk_prompt_logprobs=0 or more")
    )
    type: Literal["sample"] = "sample"

    _TAG: ClassVar[str] = "sample"
    _CODECS: ClassVar[dict[str, Codec]] = {"prompt": Obj(ModelInput), "sampling_params": Obj(SamplingParams)}


def _pick_event(d: Any) -> type[WireModel]:
    from tinkex.types._telemetry import pick_event

    return pick_event(d)


def _to_events(value: Any) -> list[Any]:
    from tinkex.types._telemetry import to_events

    return to_events(value)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TelemetrySendRequest(WireModel):
    """Body of telemetry: a batch of events of one session.

    Example::

        >>> TelemetrySendRequest(events=[], platform="Linux", sdk_version="0.1.0", session_id="s").to_dict()["events"]
        []
    """

    events: list[Any] = attrs.field(converter=_to_events)
    platform: str
    sdk_version: str
    session_id: str

    _CODECS: ClassVar[dict[str, Codec]] = {"events": ListOf(Union_(_pick_event))}
