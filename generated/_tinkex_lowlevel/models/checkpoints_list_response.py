from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen

from .checkpoint import Checkpoint
from .cursor import Cursor


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CheckpointsListResponse(WireModel):
    """A list of checkpoints; `cursor` is null for the per-run listing."""

    checkpoints: list[Checkpoint]
    """The checkpoints."""
    cursor: Cursor | None = None
    """Pagination state."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "checkpoints": ListOf(Obj(Checkpoint)),
        "cursor": Obj(Cursor),
    }
