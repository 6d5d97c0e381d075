"""The wire types of the Tinker API, generated from openapi/tinker.yaml (re-exported by `tinkex.types`)."""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adam_params import AdamParams
    from .asample_x_tinker_sampling_backpressure import AsampleXTinkerSamplingBackpressure
    from .checkpoint import Checkpoint
    from .checkpoint_archive_url_response import CheckpointArchiveUrlResponse
    from .checkpoint_kind import CheckpointKind
    from .checkpoint_type import CheckpointType
    from .checkpoints_list_response import CheckpointsListResponse
    from .create_model_request import CreateModelRequest
    from .create_model_response import CreateModelResponse
    from .create_sampling_session_request import CreateSamplingSessionRequest
    from .create_sampling_session_response import CreateSamplingSessionResponse
    from .create_session_request import CreateSessionRequest
    from .create_session_response import CreateSessionResponse
    from .cursor import Cursor
    from .datum import Datum
    from .encoded_text_chunk import EncodedTextChunk
    from .error_detail_item import ErrorDetailItem
    from .error_response import ErrorResponse
    from .event_type import EventType
    from .forward_backward_input import ForwardBackwardInput
    from .forward_backward_output import ForwardBackwardOutput
    from .forward_backward_request import ForwardBackwardRequest
    from .forward_request import ForwardRequest
    from .future_pending_response import FuturePendingResponse
    from .future_retrieve_request import FutureRetrieveRequest
    from .generic_event import GenericEvent
    from .get_info_request import GetInfoRequest
    from .get_info_response import GetInfoResponse
    from .get_sampler_response import GetSamplerResponse
    from .get_server_capabilities_response import GetServerCapabilitiesResponse
    from .get_session_response import GetSessionResponse
    from .health_response import HealthResponse
    from .image_asset_pointer_chunk import ImageAssetPointerChunk
    from .image_asset_pointer_chunk_format import ImageAssetPointerChunkFormat
    from .image_chunk import ImageChunk
    from .image_chunk_format import ImageChunkFormat
    from .json_object import JSONObject
    from .list_sessions_response import ListSessionsResponse
    from .load_weights_request import LoadWeightsRequest
    from .load_weights_response import LoadWeightsResponse
    from .lora_config import LoraConfig
    from .loss_fn_inputs import LossFnInputs
    from .loss_fn_output import LossFnOutput
    from .loss_fn_type import LossFnType
    from .model_data import ModelData
    from .model_input import ModelInput
    from .number_map import NumberMap
    from .optim_step_request import OptimStepRequest
    from .optim_step_response import OptimStepResponse
    from .parsed_checkpoint_tinker_path import ParsedCheckpointTinkerPath
    from .request_error_category import RequestErrorCategory
    from .request_failed_response import RequestFailedResponse
    from .retrieve_future_x_tinker_request_type import RetrieveFutureXTinkerRequestType
    from .sample_request import SampleRequest
    from .sample_response import SampleResponse
    from .sampled_sequence import SampledSequence
    from .sampling_params import SamplingParams
    from .save_weights_for_sampler_request import SaveWeightsForSamplerRequest
    from .save_weights_for_sampler_response import SaveWeightsForSamplerResponse
    from .save_weights_for_sampler_response_internal import SaveWeightsForSamplerResponseInternal
    from .save_weights_request import SaveWeightsRequest
    from .save_weights_response import SaveWeightsResponse
    from .session_end_event import SessionEndEvent
    from .session_heartbeat_request import SessionHeartbeatRequest
    from .session_heartbeat_response import SessionHeartbeatResponse
    from .session_start_event import SessionStartEvent
    from .severity import Severity
    from .stop_reason import StopReason
    from .string_map import StringMap
    from .supported_model import SupportedModel
    from .telemetry_batch import TelemetryBatch
    from .telemetry_response import TelemetryResponse
    from .telemetry_send_request import TelemetrySendRequest
    from .tensor_data import TensorData
    from .tensor_dtype import TensorDtype
    from .training_run import TrainingRun
    from .training_runs_response import TrainingRunsResponse
    from .try_again_response import TryAgainResponse
    from .try_again_response_queue_state import TryAgainResponseQueueState
    from .unhandled_exception_event import UnhandledExceptionEvent
    from .unload_model_request import UnloadModelRequest
    from .unload_model_response import UnloadModelResponse
    from .untyped_api_future import UntypedAPIFuture
    from .weights_info_request import WeightsInfoRequest
    from .weights_info_response import WeightsInfoResponse

_LAZY: dict[str, str] = {
    "AdamParams": "adam_params",
    "AsampleXTinkerSamplingBackpressure": "asample_x_tinker_sampling_backpressure",
    "Checkpoint": "checkpoint",
    "CheckpointArchiveUrlResponse": "checkpoint_archive_url_response",
    "CheckpointKind": "checkpoint_kind",
    "CheckpointType": "checkpoint_type",
    "CheckpointsListResponse": "checkpoints_list_response",
    "CreateModelRequest": "create_model_request",
    "CreateModelResponse": "create_model_response",
    "CreateSamplingSessionRequest": "create_sampling_session_request",
    "CreateSamplingSessionResponse": "create_sampling_session_response",
    "CreateSessionRequest": "create_session_request",
    "CreateSessionResponse": "create_session_response",
    "Cursor": "cursor",
    "Datum": "datum",
    "EncodedTextChunk": "encoded_text_chunk",
    "ErrorDetailItem": "error_detail_item",
    "ErrorResponse": "error_response",
    "EventType": "event_type",
    "ForwardBackwardInput": "forward_backward_input",
    "ForwardBackwardOutput": "forward_backward_output",
    "ForwardBackwardRequest": "forward_backward_request",
    "ForwardRequest": "forward_request",
    "FuturePendingResponse": "future_pending_response",
    "FutureRetrieveRequest": "future_retrieve_request",
    "GenericEvent": "generic_event",
    "GetInfoRequest": "get_info_request",
    "GetInfoResponse": "get_info_response",
    "GetSamplerResponse": "get_sampler_response",
    "GetServerCapabilitiesResponse": "get_server_capabilities_response",
    "GetSessionResponse": "get_session_response",
    "HealthResponse": "health_response",
    "ImageAssetPointerChunk": "image_asset_pointer_chunk",
    "ImageAssetPointerChunkFormat": "image_asset_pointer_chunk_format",
    "ImageChunk": "image_chunk",
    "ImageChunkFormat": "image_chunk_format",
    "JSONObject": "json_object",
    "ListSessionsResponse": "list_sessions_response",
    "LoadWeightsRequest": "load_weights_request",
    "LoadWeightsResponse": "load_weights_response",
    "LoraConfig": "lora_config",
    "LossFnInputs": "loss_fn_inputs",
    "LossFnOutput": "loss_fn_output",
    "LossFnType": "loss_fn_type",
    "ModelData": "model_data",
    "ModelInput": "model_input",
    "NumberMap": "number_map",
    "OptimStepRequest": "optim_step_request",
    "OptimStepResponse": "optim_step_response",
    "ParsedCheckpointTinkerPath": "parsed_checkpoint_tinker_path",
    "RequestErrorCategory": "request_error_category",
    "RequestFailedResponse": "request_failed_response",
    "RetrieveFutureXTinkerRequestType": "retrieve_future_x_tinker_request_type",
    "SampleRequest": "sample_request",
    "SampleResponse": "sample_response",
    "SampledSequence": "sampled_sequence",
    "SamplingParams": "sampling_params",
    "SaveWeightsForSamplerRequest": "save_weights_for_sampler_request",
    "SaveWeightsForSamplerResponse": "save_weights_for_sampler_response",
    "SaveWeightsForSamplerResponseInternal": "save_weights_for_sampler_response_internal",
    "SaveWeightsRequest": "save_weights_request",
    "SaveWeightsResponse": "save_weights_response",
    "SessionEndEvent": "session_end_event",
    "SessionHeartbeatRequest": "session_heartbeat_request",
    "SessionHeartbeatResponse": "session_heartbeat_response",
    "SessionStartEvent": "session_start_event",
    "Severity": "severity",
    "StopReason": "stop_reason",
    "StringMap": "string_map",
    "SupportedModel": "supported_model",
    "TelemetryBatch": "telemetry_batch",
    "TelemetryResponse": "telemetry_response",
    "TelemetrySendRequest": "telemetry_send_request",
    "TensorData": "tensor_data",
    "TensorDtype": "tensor_dtype",
    "TrainingRun": "training_run",
    "TrainingRunsResponse": "training_runs_response",
    "TryAgainResponse": "try_again_response",
    "TryAgainResponseQueueState": "try_again_response_queue_state",
    "UnhandledExceptionEvent": "unhandled_exception_event",
    "UnloadModelRequest": "unload_model_request",
    "UnloadModelResponse": "unload_model_response",
    "UntypedAPIFuture": "untyped_api_future",
    "WeightsInfoRequest": "weights_info_request",
    "WeightsInfoResponse": "weights_info_response",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = (
    "AdamParams",
    "AsampleXTinkerSamplingBackpressure",
    "Checkpoint",
    "CheckpointArchiveUrlResponse",
    "CheckpointKind",
    "CheckpointsListResponse",
    "CheckpointType",
    "CreateModelRequest",
    "CreateModelResponse",
    "CreateSamplingSessionRequest",
    "CreateSamplingSessionResponse",
    "CreateSessionRequest",
    "CreateSessionResponse",
    "Cursor",
    "Datum",
    "EncodedTextChunk",
    "ErrorDetailItem",
    "ErrorResponse",
    "EventType",
    "ForwardBackwardInput",
    "ForwardBackwardOutput",
    "ForwardBackwardRequest",
    "ForwardRequest",
    "FuturePendingResponse",
    "FutureRetrieveRequest",
    "GenericEvent",
    "GetInfoRequest",
    "GetInfoResponse",
    "GetSamplerResponse",
    "GetServerCapabilitiesResponse",
    "GetSessionResponse",
    "HealthResponse",
    "ImageAssetPointerChunk",
    "ImageAssetPointerChunkFormat",
    "ImageChunk",
    "ImageChunkFormat",
    "JSONObject",
    "ListSessionsResponse",
    "LoadWeightsRequest",
    "LoadWeightsResponse",
    "LoraConfig",
    "LossFnInputs",
    "LossFnOutput",
    "LossFnType",
    "ModelData",
    "ModelInput",
    "NumberMap",
    "OptimStepRequest",
    "OptimStepResponse",
    "ParsedCheckpointTinkerPath",
    "RequestErrorCategory",
    "RequestFailedResponse",
    "RetrieveFutureXTinkerRequestType",
    "SampledSequence",
    "SampleRequest",
    "SampleResponse",
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
    "StringMap",
    "SupportedModel",
    "TelemetryBatch",
    "TelemetryResponse",
    "TelemetrySendRequest",
    "TensorData",
    "TensorDtype",
    "TrainingRun",
    "TrainingRunsResponse",
    "TryAgainResponse",
    "TryAgainResponseQueueState",
    "UnhandledExceptionEvent",
    "UnloadModelRequest",
    "UnloadModelResponse",
    "UntypedAPIFuture",
    "WeightsInfoRequest",
    "WeightsInfoResponse",
)
