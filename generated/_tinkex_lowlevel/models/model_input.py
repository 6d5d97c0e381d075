from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.encoded_text_chunk import EncodedTextChunk
    from ..models.image_asset_pointer_chunk import ImageAssetPointerChunk
    from ..models.image_chunk import ImageChunk


T = TypeVar("T", bound="ModelInput")


@_attrs_define
class ModelInput:
    """A model input as a list of chunks (may be empty)."""

    chunks: list[EncodedTextChunk | ImageAssetPointerChunk | ImageChunk]
    """ The chunks, in order. """

    def to_dict(self) -> dict[str, Any]:
        from ..models.encoded_text_chunk import EncodedTextChunk  # noqa: PLC0415
        from ..models.image_asset_pointer_chunk import ImageAssetPointerChunk  # noqa: PLC0415

        chunks = []
        for chunks_item_data in self.chunks:
            chunks_item: dict[str, Any]
            if isinstance(chunks_item_data, EncodedTextChunk):
                chunks_item = chunks_item_data.to_dict()
            elif isinstance(chunks_item_data, ImageAssetPointerChunk):
                chunks_item = chunks_item_data.to_dict()
            else:
                chunks_item = chunks_item_data.to_dict()

            chunks.append(chunks_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "chunks": chunks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.encoded_text_chunk import EncodedTextChunk  # noqa: PLC0415
        from ..models.image_asset_pointer_chunk import ImageAssetPointerChunk  # noqa: PLC0415
        from ..models.image_chunk import ImageChunk  # noqa: PLC0415

        d = dict(src_dict)
        chunks = []
        _chunks = d.pop("chunks")
        for chunks_item_data in _chunks:

            def _parse_chunks_item(data: object) -> EncodedTextChunk | ImageAssetPointerChunk | ImageChunk:
                if isinstance(data, dict) and data.get("type") == "encoded_text":
                    componentsschemas_model_input_chunk_type_0 = EncodedTextChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_0
                if isinstance(data, dict) and data.get("type") == "image_asset_pointer":
                    componentsschemas_model_input_chunk_type_1 = ImageAssetPointerChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_1
                if isinstance(data, dict) and data.get("type") == "image":
                    componentsschemas_model_input_chunk_type_2 = ImageChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_2
                if (
                    isinstance(data, dict)
                    and data.keys() <= {"tokens", "type"}
                    and all(key in data for key in ["tokens"])
                ):
                    componentsschemas_model_input_chunk_type_0 = EncodedTextChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_0
                if (
                    isinstance(data, dict)
                    and data.keys() <= {"format", "location", "expected_tokens", "type"}
                    and all(key in data for key in ["format", "location"])
                ):
                    componentsschemas_model_input_chunk_type_1 = ImageAssetPointerChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_1
                if (
                    isinstance(data, dict)
                    and data.keys() <= {"data", "format", "expected_tokens", "type"}
                    and all(key in data for key in ["data", "format"])
                ):
                    componentsschemas_model_input_chunk_type_2 = ImageChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_2
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_model_input_chunk_type_0 = EncodedTextChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    if isinstance(data, dict) and all(key in data for key in ["tokens"]):
                        raise
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_model_input_chunk_type_1 = ImageAssetPointerChunk.from_dict(data)

                    return componentsschemas_model_input_chunk_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    if isinstance(data, dict) and all(key in data for key in ["format", "location"]):
                        raise
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_input_chunk_type_2 = ImageChunk.from_dict(data)

                return componentsschemas_model_input_chunk_type_2

            chunks_item = _parse_chunks_item(chunks_item_data)

            chunks.append(chunks_item)

        model_input = cls(
            chunks=chunks,
        )

        return model_input
