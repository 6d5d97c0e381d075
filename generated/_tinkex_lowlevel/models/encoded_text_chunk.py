from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen
from tinkex.types._model_input import EncodedTextChunkMixin


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class EncodedTextChunk(EncodedTextChunkMixin, WireModel):
    """A run of token ids."""

    tokens: Sequence[int]
    """Token ids."""
    type: Literal["encoded_text"] = "encoded_text"
    """Chunk tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "encoded_text"}
    _TAG: ClassVar[str | None] = "encoded_text"
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"tokens"})
