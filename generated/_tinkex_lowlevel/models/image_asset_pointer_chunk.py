from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen
from tinkex.types._model_input import ImageAssetPointerChunkMixin

from .image_asset_pointer_chunk_format import ImageAssetPointerChunkFormat


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ImageAssetPointerChunk(ImageAssetPointerChunkMixin, WireModel):
    """An image referenced by path or URL."""

    format: ImageAssetPointerChunkFormat
    """Image format."""
    location: str
    """A path or URL to the image."""
    expected_tokens: int | None = None
    """Advisory token count."""
    type: Literal["image_asset_pointer"] = "image_asset_pointer"
    """Chunk tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "image_asset_pointer"}
    _TAG: ClassVar[str | None] = "image_asset_pointer"
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "format": frozenset({"jpeg", "png"}),
    }
