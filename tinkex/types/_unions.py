"""The union aliases of the spec (oneOf / anyOf schemas, for which the generator writes no module).

Each alias lists the members of its schema in openapi/tinker.yaml, in the spec's order; decoding of
these unions is generated (tag dispatch in the model codecs, see `tinkex.types._base.Union_`).
"""

from __future__ import annotations

from typing import TypeAlias

from _tinkex_lowlevel.models.adam_optimizer_config import AdamOptimizerConfig
from _tinkex_lowlevel.models.create_model_response import CreateModelResponse
from _tinkex_lowlevel.models.dimuon_optimizer_config import DimuonOptimizerConfig
from _tinkex_lowlevel.models.dmel_chunk import DmelChunk
from _tinkex_lowlevel.models.encoded_text_chunk import EncodedTextChunk
from _tinkex_lowlevel.models.forward_backward_output import ForwardBackwardOutput
from _tinkex_lowlevel.models.generic_event import GenericEvent
from _tinkex_lowlevel.models.image_asset_pointer_chunk import ImageAssetPointerChunk
from _tinkex_lowlevel.models.image_chunk import ImageChunk
from _tinkex_lowlevel.models.load_weights_response import LoadWeightsResponse
from _tinkex_lowlevel.models.optim_step_response import OptimStepResponse
from _tinkex_lowlevel.models.request_failed_response import RequestFailedResponse
from _tinkex_lowlevel.models.save_weights_for_sampler_response import SaveWeightsForSamplerResponse
from _tinkex_lowlevel.models.save_weights_response import SaveWeightsResponse
from _tinkex_lowlevel.models.session_end_event import SessionEndEvent
from _tinkex_lowlevel.models.session_start_event import SessionStartEvent
from _tinkex_lowlevel.models.try_again_response import TryAgainResponse
from _tinkex_lowlevel.models.unhandled_exception_event import UnhandledExceptionEvent
from _tinkex_lowlevel.models.unload_model_response import UnloadModelResponse

__all__ = ["FutureRetrieveResponse", "ModelInputChunk", "OptimizerConfig", "TelemetryEvent"]

ModelInputChunk: TypeAlias = EncodedTextChunk | ImageAssetPointerChunk | ImageChunk | DmelChunk
OptimizerConfig: TypeAlias = AdamOptimizerConfig | DimuonOptimizerConfig  # tinker 0.38
TelemetryEvent: TypeAlias = SessionStartEvent | SessionEndEvent | UnhandledExceptionEvent | GenericEvent
# The official 0.7.0 alias (the spec's FutureRetrieveResponse also lists SampleResponse and
# SaveWeightsForSamplerResponseInternal, which the official alias leaves out).
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
