from typing import Literal

ClientSessionFinishedReasonType = Literal["errored", "interrupted", "success"]

CLIENT_SESSION_FINISHED_REASON_TYPE_VALUES: set[ClientSessionFinishedReasonType] = {
    "errored",
    "interrupted",
    "success",
}


def check_client_session_finished_reason_type(value: str) -> ClientSessionFinishedReasonType:
    if value in CLIENT_SESSION_FINISHED_REASON_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CLIENT_SESSION_FINISHED_REASON_TYPE_VALUES!r}")
