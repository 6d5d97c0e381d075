from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ErrorDetailItem(WireModel):
    """One validation problem in a 422 `detail` list."""

    loc: list[str | int] | None = None
    """Path to the offending field, e.g. `["body", "seq_id"]`."""
    msg: str
    """Human-readable message."""
    type: str | None = None
    """Machine-readable error kind."""

    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"loc"})
