"""The public wire types of tinkex: every name of the official `tinker.types` (0.7.0) with the same
fields and defaults, with `to_dict` / `from_dict` and pydantic-style aliases.

The classes are generated from openapi/tinker.yaml into `_tinkex_lowlevel.models` (`make gen`) as
frozen slotted dataclasses (`dataclasses.replace` works); the behaviour the spec cannot say lives in
the hand-written mixins of this package, named by each schema's `x-tinkex-mixin`.

Example::

    >>> from tinkex import types
    >>> datum = types.Datum(
    ...     model_input=types.ModelInput.from_ints([1, 2, 3]),
    ...     loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 1.0, 1.0]},
    ... )
    >>> datum.model_input.length
    3
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _tinkex_lowlevel.models import (
        AdamParams,
        Checkpoint,
        CheckpointArchiveUrlResponse,
        CheckpointsListResponse,
        CreateModelRequest,
        CreateModelResponse,
        CreateSamplingSessionRequest,
        CreateSamplingSessionResponse,
        CreateSessionRequest,
        CreateSessionResponse,
        Cursor,
        Datum,
        EncodedTextChunk,
        ForwardBackwardInput,
        ForwardBackwardOutput,
        ForwardBackwardRequest,
        ForwardRequest,
        FutureRetrieveRequest,
        GenericEvent,
        GetInfoRequest,
        GetInfoResponse,
        GetSamplerResponse,
        GetServerCapabilitiesResponse,
        GetSessionResponse,
        HealthResponse,
        ImageAssetPointerChunk,
        ImageChunk,
        ListSessionsResponse,
        LoadWeightsRequest,
        LoadWeightsResponse,
        LoraConfig,
        LossFnInputs,
        LossFnOutput,
        ModelData,
        ModelInput,
        OptimStepRequest,
        OptimStepResponse,
        ParsedCheckpointTinkerPath,
        RequestFailedResponse,
        SampledSequence,
        SampleRequest,
        SampleResponse,
        SamplingParams,
        SaveWeightsForSamplerRequest,
        SaveWeightsForSamplerResponse,
        SaveWeightsForSamplerResponseInternal,
        SaveWeightsRequest,
        SaveWeightsResponse,
        SessionEndEvent,
        SessionHeartbeatRequest,
        SessionHeartbeatResponse,
        SessionStartEvent,
        SupportedModel,
        TelemetryBatch,
        TelemetryResponse,
        TelemetrySendRequest,
        TensorData,
        TrainingRun,
        TrainingRunsResponse,
        TryAgainResponse,
        UnhandledExceptionEvent,
        UnloadModelRequest,
        UnloadModelResponse,
        UntypedAPIFuture,
        WeightsInfoResponse,
    )

    from tinkex.types._enums import (
        CheckpointType,
        EventType,
        LossFnType,
        ModelID,
        QueueState,
        RequestErrorCategory,
        RequestID,
        Severity,
        StopReason,
        TensorDtype,
    )
    from tinkex.types._unions import FutureRetrieveResponse, ModelInputChunk, TelemetryEvent

# Names load on first use (PEP 562): creating ~80 classes costs tens of milliseconds on slow machines,
# and most programs never touch the REST or telemetry types. The wire classes come from the generated
# package; the scalar aliases and union aliases from the hand-written modules below.
_GENERATED = "_tinkex_lowlevel.models"
_LOCAL: dict[str, str] = {
    "CheckpointType": "tinkex.types._enums",
    "EventType": "tinkex.types._enums",
    "FutureRetrieveResponse": "tinkex.types._unions",
    "LossFnType": "tinkex.types._enums",
    "ModelID": "tinkex.types._enums",
    "ModelInputChunk": "tinkex.types._unions",
    "QueueState": "tinkex.types._enums",
    "RequestErrorCategory": "tinkex.types._enums",
    "RequestID": "tinkex.types._enums",
    "Severity": "tinkex.types._enums",
    "StopReason": "tinkex.types._enums",
    "TelemetryEvent": "tinkex.types._unions",
    "TensorDtype": "tinkex.types._enums",
}


def __getattr__(name: str) -> Any:
    if name not in _ALL:
        raise AttributeError(f"module 'tinkex.types' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LOCAL.get(name, _GENERATED)), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AdamParams",
    "Checkpoint",
    "CheckpointArchiveUrlResponse",
    "CheckpointType",
    "CheckpointsListResponse",
    "CreateModelRequest",
    "CreateModelResponse",
    "CreateSamplingSessionRequest",
    "CreateSamplingSessionResponse",
    "CreateSessionRequest",
    "CreateSessionResponse",
    "Cursor",
    "Datum",
    "EncodedTextChunk",
    "EventType",
    "ForwardBackwardInput",
    "ForwardBackwardOutput",
    "ForwardBackwardRequest",
    "ForwardRequest",
    "FutureRetrieveRequest",
    "FutureRetrieveResponse",
    "GenericEvent",
    "GetInfoRequest",
    "GetInfoResponse",
    "GetSamplerResponse",
    "GetServerCapabilitiesResponse",
    "GetSessionResponse",
    "HealthResponse",
    "ImageAssetPointerChunk",
    "ImageChunk",
    "ListSessionsResponse",
    "LoadWeightsRequest",
    "LoadWeightsResponse",
    "LoraConfig",
    "LossFnInputs",
    "LossFnOutput",
    "LossFnType",
    "ModelData",
    "ModelID",
    "ModelInput",
    "ModelInputChunk",
    "OptimStepRequest",
    "OptimStepResponse",
    "ParsedCheckpointTinkerPath",
    "QueueState",
    "RequestErrorCategory",
    "RequestFailedResponse",
    "RequestID",
    "SampleRequest",
    "SampleResponse",
    "SampledSequence",
    "SamplingParams",
    "SaveWeightsForSamplerRequest",
    "SaveWeightsForSamplerResponse",
    "SaveWeightsForSamplerResponseInternal",
    "SaveWeightsRequest",
    "SaveWeightsResponse",
    "SessionEndEvent",
    "SessionHeartbeatRequest",
    "SessionHeartbeatResponse",
    "SessionStartEvent",
    "Severity",
    "StopReason",
    "SupportedModel",
    "TelemetryBatch",
    "TelemetryEvent",
    "TelemetryResponse",
    "TelemetrySendRequest",
    "TensorData",
    "TensorDtype",
    "TrainingRun",
    "TrainingRunsResponse",
    "TryAgainResponse",
    "UnhandledExceptionEvent",
    "UnloadModelRequest",
    "UnloadModelResponse",
    "UntypedAPIFuture",
    "WeightsInfoResponse",
]

_ALL = frozenset(__all__)
