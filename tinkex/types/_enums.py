"""Scalar aliases and enums of the wire protocol (names and values as the official `tinker.types`)."""

from __future__ import annotations

import enum
from typing import Literal, TypeAlias

__all__ = [
    "CheckpointType",
    "EventType",
    "LossFnType",
    "ModelID",
    "QueueState",
    "RequestErrorCategory",
    "RequestID",
    "Severity",
    "StopReason",
    "TensorDtype",
]

ModelID: TypeAlias = str
RequestID: TypeAlias = str
TensorDtype: TypeAlias = Literal["int64", "float32"]
StopReason: TypeAlias = Literal["length", "stop"]
# The 0.7.0 values first, then what tinker 0.38 adds (the spec's x-tinker-since-values).
LossFnType: TypeAlias = Literal[
    "cross_entropy", "importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce", "custom"
]
CheckpointType: TypeAlias = Literal["training", "sampler", "external"]
EventType: TypeAlias = Literal["SESSION_START", "SESSION_END", "UNHANDLED_EXCEPTION", "GENERIC_EVENT"]
Severity: TypeAlias = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
QueueState: TypeAlias = Literal["active", "paused_capacity", "paused_rate_limit"]


class RequestErrorCategory(enum.StrEnum):
    """Who a failed request's error is attributed to; the wire values are lower-case.

    Example::

        >>> RequestErrorCategory("user") is RequestErrorCategory.User
        True
        >>> str(RequestErrorCategory.Server)
        'server'
    """

    Unknown = "unknown"
    Server = "server"
    User = "user"
