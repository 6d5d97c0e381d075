from typing import Literal

RetrieveFutureXTinkerRequestType = Literal[
    "CreateModel",
    "Forward",
    "ForwardBackward",
    "LoadWeights",
    "OptimStep",
    "Sample",
    "SaveWeights",
    "SaveWeightsForSampler",
]

RETRIEVE_FUTURE_X_TINKER_REQUEST_TYPE_VALUES: set[RetrieveFutureXTinkerRequestType] = {
    "CreateModel",
    "Forward",
    "ForwardBackward",
    "LoadWeights",
    "OptimStep",
    "Sample",
    "SaveWeights",
    "SaveWeightsForSampler",
}


def check_retrieve_future_x_tinker_request_type(value: str) -> RetrieveFutureXTinkerRequestType:
    if value in RETRIEVE_FUTURE_X_TINKER_REQUEST_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRIEVE_FUTURE_X_TINKER_REQUEST_TYPE_VALUES!r}")
