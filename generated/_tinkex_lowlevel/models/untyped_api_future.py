from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class UntypedAPIFuture(WireModel):
    """Immediate answer of every long-running operation; poll `request_id` with retrieve_future."""

    request_id: str
    """A future's request id. Opaque."""
    model_id: str | None = None
    """The model concerned, if any (ignored by the client)."""
    sample_sequence_ids: list[str] | None = None
    """asample: one id per requested sequence (0.38 requires them; provenance spans name them)."""

    _LATER: ClassVar[frozenset[str]] = frozenset({"sample_sequence_ids"})
