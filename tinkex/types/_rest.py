"""Checkpoint and training-run types of the REST endpoints, and `ParsedCheckpointTinkerPath`."""

from __future__ import annotations

import datetime as _dt
from typing import Any, ClassVar

import attrs

from tinkex._tinker_path import parse_tinker_path
from tinkex.types._base import Codec, DateTime, ListOf, Obj, WireModel, parse_datetime
from tinkex.types._enums import CheckpointType

__all__ = [
    "Checkpoint",
    "CheckpointArchiveUrlResponse",
    "CheckpointsListResponse",
    "Cursor",
    "ParsedCheckpointTinkerPath",
    "TrainingRun",
    "TrainingRunsResponse",
]


def _to_datetime(value: Any) -> Any:
    return parse_datetime(value) if value is not None else None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Checkpoint(WireModel):
    """A saved checkpoint of a training run.

    Example::

        >>> c = Checkpoint.from_dict({"checkpoint_id": "weights/a", "checkpoint_type": "training",
        ...                           "time": "2025-12-03T01:00:00Z", "tinker_path": "tinker://r/weights/a"})
        >>> c.time.tzinfo is not None, c.public
        (True, False)
    """

    checkpoint_id: str
    checkpoint_type: CheckpointType
    time: _dt.datetime = attrs.field(converter=_to_datetime)
    tinker_path: str
    size_bytes: int | None = None
    public: bool = False

    _CODECS: ClassVar[dict[str, Codec]] = {"time": DateTime()}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Cursor(WireModel):
    """Pagination state of a list reply.

    Example::

        >>> Cursor(offset=0, limit=20, total_count=45).total_count
        45
    """

    offset: int
    limit: int
    total_count: int


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CheckpointsListResponse(WireModel):
    """Reply of the checkpoint listings (cursor only when paginated).

    Example::

        >>> CheckpointsListResponse.from_dict({"checkpoints": []}).cursor is None
        True
    """

    checkpoints: list[Checkpoint]
    cursor: Cursor | None = None

    _CODECS: ClassVar[dict[str, Codec]] = {"checkpoints": ListOf(Obj(Checkpoint)), "cursor": Obj(Cursor)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TrainingRun(WireModel):
    """A training run (a model id) with its latest checkpoints.

    Example::

        >>> r = TrainingRun.from_dict({"training_run_id": "r", "base_model": "m", "model_owner": "me",
        ...                            "is_lora": True, "last_request_time": "2025-12-03T01:00:00Z"})
        >>> r.corrupted, r.last_checkpoint
        (False, None)
    """

    training_run_id: str
    base_model: str
    model_owner: str
    is_lora: bool
    corrupted: bool = False
    lora_rank: int | None = None
    last_request_time: _dt.datetime = attrs.field(converter=_to_datetime)
    last_checkpoint: Checkpoint | None = None
    last_sampler_checkpoint: Checkpoint | None = None
    user_metadata: dict[str, str] | None = None

    _CODECS: ClassVar[dict[str, Codec]] = {
        "last_request_time": DateTime(),
        "last_checkpoint": Obj(Checkpoint),
        "last_sampler_checkpoint": Obj(Checkpoint),
    }


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TrainingRunsResponse(WireModel):
    """Reply of list training runs.

    Example::

        >>> TrainingRunsResponse.from_dict({"training_runs": [], "cursor": {"offset": 0, "limit": 20,
        ...                                 "total_count": 0}}).cursor.limit
        20
    """

    training_runs: list[TrainingRun]
    cursor: Cursor

    _CODECS: ClassVar[dict[str, Codec]] = {"training_runs": ListOf(Obj(TrainingRun)), "cursor": Obj(Cursor)}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CheckpointArchiveUrlResponse(WireModel):
    """A signed download URL of a checkpoint archive and when it expires.

    Example::

        >>> CheckpointArchiveUrlResponse.from_dict({"url": "http://x/a.tar", "expires": "2025-12-03T01:15:00Z"}).url
        'http://x/a.tar'
    """

    url: str
    expires: _dt.datetime = attrs.field(converter=_to_datetime)

    _CODECS: ClassVar[dict[str, Codec]] = {"expires": DateTime()}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ParsedCheckpointTinkerPath(WireModel):
    """A tinker:// checkpoint path split into run id, checkpoint type and checkpoint id.

    Example::

        >>> p = ParsedCheckpointTinkerPath.from_tinker_path("tinker://run-1/weights/step-5")
        >>> p.training_run_id, p.checkpoint_type, p.checkpoint_id
        ('run-1', 'training', 'weights/step-5')
    """

    tinker_path: str
    training_run_id: str
    checkpoint_type: CheckpointType
    checkpoint_id: str

    @classmethod
    def from_tinker_path(cls, tinker_path: str) -> ParsedCheckpointTinkerPath:
        """Parse a path; raises `TinkexValidationError` (a ValueError) showing the expected form."""
        parsed = parse_tinker_path(tinker_path, field="tinker_path")
        return cls(
            tinker_path=tinker_path,
            training_run_id=parsed.training_run_id,
            checkpoint_type=parsed.checkpoint_type,
            checkpoint_id=parsed.checkpoint_id,
        )
