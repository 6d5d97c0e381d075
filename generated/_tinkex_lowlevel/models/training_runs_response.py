from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen

from .cursor import Cursor
from .training_run import TrainingRun


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class TrainingRunsResponse(WireModel):
    """One page of training runs."""

    training_runs: list[TrainingRun]
    """The runs."""
    cursor: Cursor
    """Offset pagination state of a listing."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "training_runs": ListOf(Obj(TrainingRun)),
        "cursor": Obj(Cursor),
    }
