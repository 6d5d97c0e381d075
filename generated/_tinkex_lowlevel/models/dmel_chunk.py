from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Bytes, Codec, WireModel, frozen
from tinkex.types._model_input import DmelChunkMixin


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class DmelChunk(DmelChunkMixin, WireModel):
    """A DMel (discretised mel audio) chunk. `dmel` is a serialized tensor container, standard base64 with padding."""

    dmel: bytes
    """The serialized DMel token tensor, base64."""
    type: Literal["dmel"] = "dmel"
    """Chunk tag."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "dmel": Bytes(),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "dmel"}
    _TAG: ClassVar[str | None] = "dmel"
