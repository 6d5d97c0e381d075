from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .provenance_span_type import ProvenanceSpanType


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ProvenanceSpan(WireModel):
    """Where a run of a datum's tokens came from: a sample request's prompt (`prompt_tokens`) or one
    of its sampled sequences (`sampled_tokens`), by the `sample_sequence_ids` entry. Accepted and
    not used by tinkex serve (its losses need only the datum's tensors)."""

    type: ProvenanceSpanType | None = None
    """Which part of the sample."""
    sequence_id: str
    """A sample_sequence_ids entry."""
    offset: int = 0
    """First token of the run."""
    length: int | None = None
    """Number of tokens."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "type": frozenset({"prompt_tokens", "sampled_tokens"}),
    }
