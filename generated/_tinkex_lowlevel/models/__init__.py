"""The wire types of the Tinker API, generated from openapi/tinker.yaml (re-exported by `tinkex.types`)."""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adam_optimizer_config import AdamOptimizerConfig
    from .adam_params import AdamParams
    from .asample_x_tinker_sampling_backpressure import AsampleXTinkerSamplingBackpressure
    from .audit_log_response import AuditLogResponse
    from .audit_log_response_entries_item import AuditLogResponseEntriesItem
    from .billing_usage_response import BillingUsageResponse
    from .billing_usage_response_data_item import BillingUsageResponseDataItem
    from .billing_usage_response_sessions import BillingUsageResponseSessions
    from .checkpoint import Checkpoint
    from .checkpoint_archive_url_response import CheckpointArchiveUrlResponse
    from .checkpoint_kind import CheckpointKind
    from .checkpoint_type import CheckpointType
    from .checkpoint_user_metadata_type_0 import CheckpointUserMetadataType0
    from .checkpoints_list_response import CheckpointsListResponse
    from .client_config_request import ClientConfigRequest
    from .client_config_response import ClientConfigResponse
    from .client_dynamic_config_response import ClientDynamicConfigResponse
    from .client_session_finished import ClientSessionFinished
    from .client_session_finished_reason import ClientSessionFinishedReason
    from .client_session_finished_reason_type import ClientSessionFinishedReasonType
    from .copy_weights_request import CopyWeightsRequest
    from .copy_weights_response import CopyWeightsResponse
    from .create_model_request import CreateModelRequest
    from .create_model_response import CreateModelResponse
    from .create_sampling_session_request import CreateSamplingSessionRequest
    from .create_sampling_session_response import CreateSamplingSessionResponse
    from .create_session_request import CreateSessionRequest
    from .create_session_response import CreateSessionResponse
    from .current_checkpoint_storage_usage_response import CurrentCheckpointStorageUsageResponse
    from .current_checkpoint_storage_usage_response_data_item import CurrentCheckpointStorageUsageResponseDataItem
    from .cursor import Cursor
    from .datum import Datum
    from .dimuon_optimizer_config import DimuonOptimizerConfig
    from .dimuon_params import DimuonParams
    from .dmel_chunk import DmelChunk
    from .encoded_text_chunk import EncodedTextChunk
    from .error_detail_item import ErrorDetailItem
    from .error_response import ErrorResponse
    from .event_type import EventType
    from .external_weights_urls_response import ExternalWeightsUrlsResponse
    from .external_weights_urls_response_urls import ExternalWeightsUrlsResponseUrls
    from .forward_backward_input import ForwardBackwardInput
    from .forward_backward_output import ForwardBackwardOutput
    from .forward_backward_request import ForwardBackwardRequest
    from .forward_request import ForwardRequest
    from .future_complete_metadata_response import FutureCompleteMetadataResponse
    from .future_pending_response import FuturePendingResponse
    from .future_retrieve_request import FutureRetrieveRequest
    from .generic_event import GenericEvent
    from .get_info_request import GetInfoRequest
    from .get_info_response import GetInfoResponse
    from .get_sampler_response import GetSamplerResponse
    from .get_server_capabilities_response import GetServerCapabilitiesResponse
    from .get_session_access_scope import GetSessionAccessScope
    from .get_session_response import GetSessionResponse
    from .get_session_response_user_metadata_type_0 import GetSessionResponseUserMetadataType0
    from .get_training_run_access_scope import GetTrainingRunAccessScope
    from .health_response import HealthResponse
    from .image_asset_pointer_chunk import ImageAssetPointerChunk
    from .image_asset_pointer_chunk_format import ImageAssetPointerChunkFormat
    from .image_chunk import ImageChunk
    from .image_chunk_format import ImageChunkFormat
    from .json_object import JSONObject
    from .list_sessions_access_scope import ListSessionsAccessScope
    from .list_sessions_response import ListSessionsResponse
    from .list_training_runs_access_scope import ListTrainingRunsAccessScope
    from .load_weights_request import LoadWeightsRequest
    from .load_weights_request_user_metadata_type_0 import LoadWeightsRequestUserMetadataType0
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
    from .prompt_alt_tokens import PromptAltTokens
    from .provenance_span import ProvenanceSpan
    from .provenance_span_type import ProvenanceSpanType
    from .request_error_category import RequestErrorCategory
    from .request_failed_response import RequestFailedResponse
    from .retrieve_future_x_tinker_request_type import RetrieveFutureXTinkerRequestType
    from .sample_request import SampleRequest
    from .sample_response import SampleResponse
    from .sampled_sequence import SampledSequence
    from .sampling_params import SamplingParams
    from .save_weights_external_request import SaveWeightsExternalRequest
    from .save_weights_external_response import SaveWeightsExternalResponse
    from .save_weights_for_sampler_request import SaveWeightsForSamplerRequest
    from .save_weights_for_sampler_request_kind import SaveWeightsForSamplerRequestKind
    from .save_weights_for_sampler_request_user_metadata_type_0 import SaveWeightsForSamplerRequestUserMetadataType0
    from .save_weights_for_sampler_response import SaveWeightsForSamplerResponse
    from .save_weights_for_sampler_response_internal import SaveWeightsForSamplerResponseInternal
    from .save_weights_request import SaveWeightsRequest
    from .save_weights_request_user_metadata_type_0 import SaveWeightsRequestUserMetadataType0
    from .save_weights_response import SaveWeightsResponse
    from .session_end_event import SessionEndEvent
    from .session_heartbeat_request import SessionHeartbeatRequest
    from .session_heartbeat_response import SessionHeartbeatResponse
    from .session_project_request import SessionProjectRequest
    from .session_search_request import SessionSearchRequest
    from .session_search_request_cursor_type_0 import SessionSearchRequestCursorType0
    from .session_search_request_owner import SessionSearchRequestOwner
    from .session_search_request_statuses_type_0_item import SessionSearchRequestStatusesType0Item
    from .session_search_request_user_metadata import SessionSearchRequestUserMetadata
    from .session_search_response import SessionSearchResponse
    from .session_search_response_next_cursor_type_0 import SessionSearchResponseNextCursorType0
    from .session_start_event import SessionStartEvent
    from .session_summary import SessionSummary
    from .session_summary_status_type_0 import SessionSummaryStatusType0
    from .session_summary_user_metadata_type_0 import SessionSummaryUserMetadataType0
    from .session_trace_export_response import SessionTraceExportResponse
    from .session_trace_export_response_status import SessionTraceExportResponseStatus
    from .set_checkpoint_ttl_request import SetCheckpointTtlRequest
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
    "AdamOptimizerConfig": "adam_optimizer_config",
    "AdamParams": "adam_params",
    "AsampleXTinkerSamplingBackpressure": "asample_x_tinker_sampling_backpressure",
    "AuditLogResponse": "audit_log_response",
    "AuditLogResponseEntriesItem": "audit_log_response_entries_item",
    "BillingUsageResponse": "billing_usage_response",
    "BillingUsageResponseDataItem": "billing_usage_response_data_item",
    "BillingUsageResponseSessions": "billing_usage_response_sessions",
    "Checkpoint": "checkpoint",
    "CheckpointArchiveUrlResponse": "checkpoint_archive_url_response",
    "CheckpointKind": "checkpoint_kind",
    "CheckpointType": "checkpoint_type",
    "CheckpointUserMetadataType0": "checkpoint_user_metadata_type_0",
    "CheckpointsListResponse": "checkpoints_list_response",
    "ClientConfigRequest": "client_config_request",
    "ClientConfigResponse": "client_config_response",
    "ClientDynamicConfigResponse": "client_dynamic_config_response",
    "ClientSessionFinished": "client_session_finished",
    "ClientSessionFinishedReason": "client_session_finished_reason",
    "ClientSessionFinishedReasonType": "client_session_finished_reason_type",
    "CopyWeightsRequest": "copy_weights_request",
    "CopyWeightsResponse": "copy_weights_response",
    "CreateModelRequest": "create_model_request",
    "CreateModelResponse": "create_model_response",
    "CreateSamplingSessionRequest": "create_sampling_session_request",
    "CreateSamplingSessionResponse": "create_sampling_session_response",
    "CreateSessionRequest": "create_session_request",
    "CreateSessionResponse": "create_session_response",
    "CurrentCheckpointStorageUsageResponse": "current_checkpoint_storage_usage_response",
    "CurrentCheckpointStorageUsageResponseDataItem": "current_checkpoint_storage_usage_response_data_item",
    "Cursor": "cursor",
    "Datum": "datum",
    "DimuonOptimizerConfig": "dimuon_optimizer_config",
    "DimuonParams": "dimuon_params",
    "DmelChunk": "dmel_chunk",
    "EncodedTextChunk": "encoded_text_chunk",
    "ErrorDetailItem": "error_detail_item",
    "ErrorResponse": "error_response",
    "EventType": "event_type",
    "ExternalWeightsUrlsResponse": "external_weights_urls_response",
    "ExternalWeightsUrlsResponseUrls": "external_weights_urls_response_urls",
    "ForwardBackwardInput": "forward_backward_input",
    "ForwardBackwardOutput": "forward_backward_output",
    "ForwardBackwardRequest": "forward_backward_request",
    "ForwardRequest": "forward_request",
    "FutureCompleteMetadataResponse": "future_complete_metadata_response",
    "FuturePendingResponse": "future_pending_response",
    "FutureRetrieveRequest": "future_retrieve_request",
    "GenericEvent": "generic_event",
    "GetInfoRequest": "get_info_request",
    "GetInfoResponse": "get_info_response",
    "GetSamplerResponse": "get_sampler_response",
    "GetServerCapabilitiesResponse": "get_server_capabilities_response",
    "GetSessionAccessScope": "get_session_access_scope",
    "GetSessionResponse": "get_session_response",
    "GetSessionResponseUserMetadataType0": "get_session_response_user_metadata_type_0",
    "GetTrainingRunAccessScope": "get_training_run_access_scope",
    "HealthResponse": "health_response",
    "ImageAssetPointerChunk": "image_asset_pointer_chunk",
    "ImageAssetPointerChunkFormat": "image_asset_pointer_chunk_format",
    "ImageChunk": "image_chunk",
    "ImageChunkFormat": "image_chunk_format",
    "JSONObject": "json_object",
    "ListSessionsAccessScope": "list_sessions_access_scope",
    "ListSessionsResponse": "list_sessions_response",
    "ListTrainingRunsAccessScope": "list_training_runs_access_scope",
    "LoadWeightsRequest": "load_weights_request",
    "LoadWeightsRequestUserMetadataType0": "load_weights_request_user_metadata_type_0",
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
    "PromptAltTokens": "prompt_alt_tokens",
    "ProvenanceSpan": "provenance_span",
    "ProvenanceSpanType": "provenance_span_type",
    "RequestErrorCategory": "request_error_category",
    "RequestFailedResponse": "request_failed_response",
    "RetrieveFutureXTinkerRequestType": "retrieve_future_x_tinker_request_type",
    "SampleRequest": "sample_request",
    "SampleResponse": "sample_response",
    "SampledSequence": "sampled_sequence",
    "SamplingParams": "sampling_params",
    "SaveWeightsExternalRequest": "save_weights_external_request",
    "SaveWeightsExternalResponse": "save_weights_external_response",
    "SaveWeightsForSamplerRequest": "save_weights_for_sampler_request",
    "SaveWeightsForSamplerRequestKind": "save_weights_for_sampler_request_kind",
    "SaveWeightsForSamplerRequestUserMetadataType0": "save_weights_for_sampler_request_user_metadata_type_0",
    "SaveWeightsForSamplerResponse": "save_weights_for_sampler_response",
    "SaveWeightsForSamplerResponseInternal": "save_weights_for_sampler_response_internal",
    "SaveWeightsRequest": "save_weights_request",
    "SaveWeightsRequestUserMetadataType0": "save_weights_request_user_metadata_type_0",
    "SaveWeightsResponse": "save_weights_response",
    "SessionEndEvent": "session_end_event",
    "SessionHeartbeatRequest": "session_heartbeat_request",
    "SessionHeartbeatResponse": "session_heartbeat_response",
    "SessionProjectRequest": "session_project_request",
    "SessionSearchRequest": "session_search_request",
    "SessionSearchRequestCursorType0": "session_search_request_cursor_type_0",
    "SessionSearchRequestOwner": "session_search_request_owner",
    "SessionSearchRequestStatusesType0Item": "session_search_request_statuses_type_0_item",
    "SessionSearchRequestUserMetadata": "session_search_request_user_metadata",
    "SessionSearchResponse": "session_search_response",
    "SessionSearchResponseNextCursorType0": "session_search_response_next_cursor_type_0",
    "SessionStartEvent": "session_start_event",
    "SessionSummary": "session_summary",
    "SessionSummaryStatusType0": "session_summary_status_type_0",
    "SessionSummaryUserMetadataType0": "session_summary_user_metadata_type_0",
    "SessionTraceExportResponse": "session_trace_export_response",
    "SessionTraceExportResponseStatus": "session_trace_export_response_status",
    "SetCheckpointTtlRequest": "set_checkpoint_ttl_request",
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
    "AdamOptimizerConfig",
    "AdamParams",
    "AsampleXTinkerSamplingBackpressure",
    "AuditLogResponse",
    "AuditLogResponseEntriesItem",
    "BillingUsageResponse",
    "BillingUsageResponseDataItem",
    "BillingUsageResponseSessions",
    "Checkpoint",
    "CheckpointArchiveUrlResponse",
    "CheckpointKind",
    "CheckpointsListResponse",
    "CheckpointType",
    "CheckpointUserMetadataType0",
    "ClientConfigRequest",
    "ClientConfigResponse",
    "ClientDynamicConfigResponse",
    "ClientSessionFinished",
    "ClientSessionFinishedReason",
    "ClientSessionFinishedReasonType",
    "CopyWeightsRequest",
    "CopyWeightsResponse",
    "CreateModelRequest",
    "CreateModelResponse",
    "CreateSamplingSessionRequest",
    "CreateSamplingSessionResponse",
    "CreateSessionRequest",
    "CreateSessionResponse",
    "CurrentCheckpointStorageUsageResponse",
    "CurrentCheckpointStorageUsageResponseDataItem",
    "Cursor",
    "Datum",
    "DimuonOptimizerConfig",
    "DimuonParams",
    "DmelChunk",
    "EncodedTextChunk",
    "ErrorDetailItem",
    "ErrorResponse",
    "EventType",
    "ExternalWeightsUrlsResponse",
    "ExternalWeightsUrlsResponseUrls",
    "ForwardBackwardInput",
    "ForwardBackwardOutput",
    "ForwardBackwardRequest",
    "ForwardRequest",
    "FutureCompleteMetadataResponse",
    "FuturePendingResponse",
    "FutureRetrieveRequest",
    "GenericEvent",
    "GetInfoRequest",
    "GetInfoResponse",
    "GetSamplerResponse",
    "GetServerCapabilitiesResponse",
    "GetSessionAccessScope",
    "GetSessionResponse",
    "GetSessionResponseUserMetadataType0",
    "GetTrainingRunAccessScope",
    "HealthResponse",
    "ImageAssetPointerChunk",
    "ImageAssetPointerChunkFormat",
    "ImageChunk",
    "ImageChunkFormat",
    "JSONObject",
    "ListSessionsAccessScope",
    "ListSessionsResponse",
    "ListTrainingRunsAccessScope",
    "LoadWeightsRequest",
    "LoadWeightsRequestUserMetadataType0",
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
    "PromptAltTokens",
    "ProvenanceSpan",
    "ProvenanceSpanType",
    "RequestErrorCategory",
    "RequestFailedResponse",
    "RetrieveFutureXTinkerRequestType",
    "SampledSequence",
    "SampleRequest",
    "SampleResponse",
    "SamplingParams",
    "SaveWeightsExternalRequest",
    "SaveWeightsExternalResponse",
    "SaveWeightsForSamplerRequest",
    "SaveWeightsForSamplerRequestKind",
    "SaveWeightsForSamplerRequestUserMetadataType0",
    "SaveWeightsForSamplerResponse",
    "SaveWeightsForSamplerResponseInternal",
    "SaveWeightsRequest",
    "SaveWeightsRequestUserMetadataType0",
    "SaveWeightsResponse",
    "SessionEndEvent",
    "SessionHeartbeatRequest",
    "SessionHeartbeatResponse",
    "SessionProjectRequest",
    "SessionSearchRequest",
    "SessionSearchRequestCursorType0",
    "SessionSearchRequestOwner",
    "SessionSearchRequestStatusesType0Item",
    "SessionSearchRequestUserMetadata",
    "SessionSearchResponse",
    "SessionSearchResponseNextCursorType0",
    "SessionStartEvent",
    "SessionSummary",
    "SessionSummaryStatusType0",
    "SessionSummaryUserMetadataType0",
    "SessionTraceExportResponse",
    "SessionTraceExportResponseStatus",
    "SetCheckpointTtlRequest",
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
