from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Union_, WireModel, frozen
from tinkex.types._model_input import ModelInputMixin

from .dmel_chunk import DmelChunk
from .encoded_text_chunk import EncodedTextChunk
from .image_asset_pointer_chunk import ImageAssetPointerChunk
from .image_chunk import ImageChunk


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ModelInput(ModelInputMixin, WireModel):
    """A model input as a list of chunks (may be empty)."""

    chunks: list[EncodedTextChunk | ImageAssetPointerChunk | ImageChunk | DmelChunk]
    """The chunks, in order."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "chunks": ListOf(
            Union_(
                (
                    EncodedTextChunk,
                    ImageAssetPointerChunk,
                    ImageChunk,
                    DmelChunk,
                ),
                "ModelInput.chunks",
            )
        ),
    }
