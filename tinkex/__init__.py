"""tinkex: a fast, hang-proof, drop-in Python SDK for the Tinker fine-tuning API.

Use it as the official SDK: ``import tinkex as tinker``. numpy, torch and transformers are optional
and imported only when a feature needs them.

Example::

    import tinkex as tinker

    with tinker.ServiceClient() as sc:
        tc = sc.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=16)
        tc.forward_backward(data, "cross_entropy").result()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TypedDict

from tinkex._version import __version__

if TYPE_CHECKING:
    from httpx import Timeout

    from tinkex import types
    from tinkex._alias import install_as_tinker
    from tinkex._archive import UnsafeArchiveError, extract_archive
    from tinkex._client_future import ClientFuture
    from tinkex._config import CircuitBreakerConfig, ClientConfig, PoolSizes, RetryConfig
    from tinkex._download import (
        CheckpointDownload,
        DownloadIntegrityError,
        DownloadResult,
        download_archive,
        download_archive_async,
        download_checkpoint,
        download_checkpoint_async,
    )
    from tinkex._exceptions import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BillingError,
        CircuitOpenError,
        ClientClosedError,
        ConflictError,
        FutureTimeoutError,
        GoneError,
        InternalServerError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RequestFailedError,
        RequestTimeoutError,
        SessionLostError,
        TinkerError,
        TinkexError,
        TinkexValidationError,
        UnprocessableEntityError,
    )
    from tinkex._policy._recovery import TrainingRunCorruptedError
    from tinkex._recovery import (
        RecoveryExhaustedError,
        RecoveryPolicy,
        RecoveryResult,
        run_with_recovery,
        run_with_recovery_async,
    )
    from tinkex._regularizers import (
        CustomLossOutput,
        RegularizerOutput,
        RegularizerSpec,
        entropy_regularizer,
        kl_regularizer,
        l1_regularizer,
        l2_regularizer,
    )
    from tinkex._rest_client import AdminClient, RestClient
    from tinkex._runtime._futures import APIFuture, as_completed, as_completed_async, gather_async, wait_all
    from tinkex._runtime._observe import SDKEvent
    from tinkex._sampling_client import SamplingClient
    from tinkex._service_client import ServiceClient
    from tinkex._telemetry import LocalMetrics, MetricsSnapshot, OperationStats
    from tinkex._training_client import TrainingClient
    from tinkex.types import (
        AdamOptimizerConfig,
        AdamParams,
        Checkpoint,
        CheckpointType,
        Datum,
        DimuonOptimizerConfig,
        DimuonParams,
        DmelChunk,
        EncodedTextChunk,
        ForwardBackwardOutput,
        LoraConfig,
        ModelID,
        ModelInput,
        ModelInputChunk,
        OptimStepRequest,
        OptimStepResponse,
        ParsedCheckpointTinkerPath,
        PromptProvenanceSpan,
        SampledProvenanceSpan,
        SampledSequence,
        SampleRequest,
        SampleResponse,
        SamplingParams,
        StopReason,
        TensorData,
        TensorDtype,
        TrainingRun,
    )

__title__ = "tinkex"

# Public names are loaded on first access (PEP 562), so `import tinkex` costs almost nothing and
# code that only needs the types never loads the HTTP runtime. Name -> defining module.
_EXCEPTIONS = (
    "APIConnectionError APIError APIResponseValidationError APIStatusError APITimeoutError "
    "AuthenticationError BadRequestError BillingError CircuitOpenError ClientClosedError ConflictError FutureTimeoutError GoneError InternalServerError "
    "NotFoundError PermissionDeniedError RateLimitError RequestFailedError RequestTimeoutError "
    "SessionLostError TinkerError TinkexError TinkexValidationError UnprocessableEntityError"
)
_TYPES = (
    "AdamParams Checkpoint CheckpointType Datum EncodedTextChunk ForwardBackwardOutput LoraConfig ModelID "
    "ModelInput ModelInputChunk OptimStepRequest OptimStepResponse ParsedCheckpointTinkerPath "
    "SampledSequence SampleRequest SampleResponse SamplingParams StopReason TensorData TensorDtype TrainingRun "
    # what tinker 0.38 also exports at the top level
    "AdamOptimizerConfig DimuonOptimizerConfig DimuonParams DmelChunk PromptProvenanceSpan SampledProvenanceSpan"
)
_LAZY: dict[str, str] = {
    **dict.fromkeys(_EXCEPTIONS.split(), "tinkex._exceptions"),
    **dict.fromkeys(_TYPES.split(), "tinkex.types"),
    **dict.fromkeys(("CircuitBreakerConfig", "ClientConfig", "PoolSizes", "RetryConfig"), "tinkex._config"),
    **dict.fromkeys(
        ("APIFuture", "as_completed", "as_completed_async", "gather_async", "wait_all"),
        "tinkex._runtime._futures",
    ),
    **dict.fromkeys(
        (
            "CheckpointDownload",
            "DownloadIntegrityError",
            "DownloadResult",
            "download_archive",
            "download_archive_async",
            "download_checkpoint",
            "download_checkpoint_async",
        ),
        "tinkex._download",
    ),
    **dict.fromkeys(("UnsafeArchiveError", "extract_archive"), "tinkex._archive"),
    **dict.fromkeys(("LocalMetrics", "MetricsSnapshot", "OperationStats"), "tinkex._telemetry"),
    **dict.fromkeys(
        (
            "RecoveryExhaustedError",
            "RecoveryPolicy",
            "RecoveryResult",
            "run_with_recovery",
            "run_with_recovery_async",
        ),
        "tinkex._recovery",
    ),
    "TrainingRunCorruptedError": "tinkex._policy._recovery",
    **dict.fromkeys(
        (
            "CustomLossOutput",
            "RegularizerOutput",
            "RegularizerSpec",
            "entropy_regularizer",
            "kl_regularizer",
            "l1_regularizer",
            "l2_regularizer",
        ),
        "tinkex._regularizers",
    ),
    "RestClient": "tinkex._rest_client",
    "install_as_tinker": "tinkex._alias",
    "AdminClient": "tinkex._rest_client",
    "ClientFuture": "tinkex._client_future",
    # tinker 0.38's names of the creation futures (see tinkex.lib.public_interfaces)
    "BackcompatSamplingClientFuture": "tinkex.lib.public_interfaces",
    "BackcompatTrainingClientFuture": "tinkex.lib.public_interfaces",
    "SDKEvent": "tinkex._runtime._observe",
    "SamplingClient": "tinkex._sampling_client",
    "ServiceClient": "tinkex._service_client",
    "TrainingClient": "tinkex._training_client",
    "Timeout": "httpx",
}


def __getattr__(name: str) -> Any:
    if name == "types":
        return importlib.import_module("tinkex.types")
    if name == "Timeout":
        from tinkex._runtime._httpx import import_httpx

        import_httpx()  # without httpx's command-line client (see tinkex._runtime._httpx)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tinkex' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class RequestOptions(TypedDict, total=False):
    """Per-request options of the official SDK's low-level client (kept for name compatibility).

    Example::

        opts: tinkex.RequestOptions = {"max_retries": 2, "timeout": 30.0}
    """

    headers: dict[str, str]
    max_retries: int
    timeout: float | Timeout | None
    params: dict[str, Any]
    extra_json: dict[str, Any]
    idempotency_key: str
    follow_redirects: bool


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIFuture",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AdamOptimizerConfig",
    "AdamParams",
    "AdminClient",
    "AuthenticationError",
    "BackcompatSamplingClientFuture",
    "BackcompatTrainingClientFuture",
    "BadRequestError",
    "BillingError",
    "Checkpoint",
    "CheckpointDownload",
    "CheckpointType",
    "CircuitBreakerConfig",
    "CircuitOpenError",
    "ClientClosedError",
    "ClientConfig",
    "ClientFuture",
    "ConflictError",
    "CustomLossOutput",
    "Datum",
    "DimuonOptimizerConfig",
    "DimuonParams",
    "DmelChunk",
    "DownloadIntegrityError",
    "DownloadResult",
    "EncodedTextChunk",
    "ForwardBackwardOutput",
    "FutureTimeoutError",
    "GoneError",
    "InternalServerError",
    "LocalMetrics",
    "LoraConfig",
    "MetricsSnapshot",
    "ModelID",
    "ModelInput",
    "ModelInputChunk",
    "NotFoundError",
    "OperationStats",
    "OptimStepRequest",
    "OptimStepResponse",
    "ParsedCheckpointTinkerPath",
    "PermissionDeniedError",
    "PoolSizes",
    "PromptProvenanceSpan",
    "RateLimitError",
    "RecoveryExhaustedError",
    "RecoveryPolicy",
    "RecoveryResult",
    "RegularizerOutput",
    "RegularizerSpec",
    "RequestFailedError",
    "RequestOptions",
    "RequestTimeoutError",
    "RestClient",
    "RetryConfig",
    "SDKEvent",
    "SampleRequest",
    "SampleResponse",
    "SampledProvenanceSpan",
    "SampledSequence",
    "SamplingClient",
    "SamplingParams",
    "ServiceClient",
    "SessionLostError",
    "StopReason",
    "TensorData",
    "TensorDtype",
    "Timeout",
    "TinkerError",
    "TinkexError",
    "TinkexValidationError",
    "TrainingClient",
    "TrainingRun",
    "TrainingRunCorruptedError",
    "UnprocessableEntityError",
    "UnsafeArchiveError",
    "__title__",
    "__version__",
    "as_completed",
    "as_completed_async",
    "download_archive",
    "download_archive_async",
    "download_checkpoint",
    "download_checkpoint_async",
    "entropy_regularizer",
    "extract_archive",
    "gather_async",
    "install_as_tinker",
    "kl_regularizer",
    "l1_regularizer",
    "l2_regularizer",
    "run_with_recovery",
    "run_with_recovery_async",
    "types",
    "wait_all",
]
