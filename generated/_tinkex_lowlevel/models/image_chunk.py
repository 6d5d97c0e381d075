from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Bytes, Codec, WireModel, frozen
from tinkex.types._model_input import ImageChunkMixin

from .image_chunk_format import ImageChunkFormat


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ImageChunk(ImageChunkMixin, WireModel):
    """An inline image. `data` is standard base64 with padding."""

    data: bytes
    """The image bytes, base64."""
    format: ImageChunkFormat
    """Image format."""
    expected_tokens: int | None = None
    """Advisory token count; the server computes the real one and may fail fast on a mismatch."""
    type: Literal["image"] = "image"
    """Chunk tag."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "data": Bytes(),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "image"}
    _TAG: ClassVar[str | None] = "image"
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "format": frozenset({"jpeg", "png"}),
    }
