"""`ModelInput` and its chunks (token text, inline image, image pointer) with the official helpers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import Bytes, Codec, ListOf, Union_, WireModel, short_repr, to_bytes

__all__ = [
    "EncodedTextChunk",
    "ImageAssetPointerChunk",
    "ImageChunk",
    "ModelInput",
    "ModelInputChunk",
]


def _to_tokens(value: Any) -> Any:
    # A user's list is snapshotted (as pydantic does in the official SDK): requests are encoded
    # later on the SDK's loop thread, and a caller appending to the same list meanwhile must not
    # change what is sent. list.copy is a memcpy (~30 us for 8192 tokens). Tuples are immutable.
    if isinstance(value, list):
        return value.copy()
    if isinstance(value, tuple):
        return value
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        raise TinkexValidationError(
            "EncodedTextChunk.tokens",
            f"must be a list of token ids, got {type(value).__name__}",
            "pass tokens=[...] (ints), e.g. tokenizer.encode(text)",
        )
    # numpy / torch / array.array / range: one conversion at construction time.
    return value.tolist() if hasattr(value, "tolist") else list(value)


def _check_format(inst: Any, att: attrs.Attribute[Any], value: Any) -> None:
    if value not in ("png", "jpeg"):
        raise TinkexValidationError(
            f"{type(inst).__name__}.format",
            f"must be 'png' or 'jpeg', got {value!r}",
            "pass format='png' or 'jpeg'",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class EncodedTextChunk(WireModel):
    """A run of token ids.

    Example::

        >>> EncodedTextChunk(tokens=[1, 2, 3]).length
        3
    """

    tokens: Sequence[int] = attrs.field(converter=_to_tokens, repr=short_repr)
    type: Literal["encoded_text"] = "encoded_text"

    _TAG: ClassVar[str] = "encoded_text"

    @property
    def length(self) -> int:
        """Number of tokens."""
        return len(self.tokens)

    def to_dict(self) -> dict[str, Any]:
        # Hot path: no generic machinery, and the token list itself goes into the body.
        return {"tokens": self.tokens, "type": "encoded_text"}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EncodedTextChunk:
        if isinstance(d, EncodedTextChunk):
            return d
        tokens = d.get("tokens") if isinstance(d, Mapping) else None
        if isinstance(tokens, list):
            # Decoded JSON is ours alone: keep the list (no copy, no per-token work).
            return cls._trusted(tokens=tokens, type="encoded_text")
        return super().from_dict(d)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ImageAssetPointerChunk(WireModel):
    """An image the server fetches from `location`; `expected_tokens` gives its length up front.

    Example::

        >>> ImageAssetPointerChunk(format="png", location="s3://b/i.png", expected_tokens=64).length
        64
    """

    format: Literal["png", "jpeg"] = attrs.field(validator=_check_format)
    location: str
    expected_tokens: int | None = None
    type: Literal["image_asset_pointer"] = "image_asset_pointer"

    _TAG: ClassVar[str] = "image_asset_pointer"

    @property
    def length(self) -> int:
        """The advisory token count; raises when `expected_tokens` is not set."""
        if self.expected_tokens is None:
            raise TinkexValidationError(
                "ImageAssetPointerChunk.expected_tokens",
                "is needed to compute the length",
                "set expected_tokens to the number of tokens the image takes",
            )
        return self.expected_tokens


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ImageChunk(WireModel):
    """Inline image bytes (base64 on the wire); `expected_tokens` gives its length up front.

    Example::

        >>> ImageChunk(data=b"\\x89PNG", format="png", expected_tokens=16).to_dict()["data"]
        'iVBORw=='
    """

    data: bytes = attrs.field(converter=to_bytes, repr=lambda b: f"<{len(b)} bytes>")
    format: Literal["png", "jpeg"] = attrs.field(validator=_check_format)
    expected_tokens: int | None = None
    type: Literal["image"] = "image"

    _TAG: ClassVar[str] = "image"
    _CODECS: ClassVar[dict[str, Codec]] = {"data": Bytes()}

    @property
    def length(self) -> int:
        """The advisory token count; raises when `expected_tokens` is not set."""
        if self.expected_tokens is None:
            raise TinkexValidationError(
                "ImageChunk.expected_tokens",
                "is needed to compute the length",
                "set expected_tokens to the number of tokens the image takes",
            )
        return self.expected_tokens


ModelInputChunk: TypeAlias = EncodedTextChunk | ImageAssetPointerChunk | ImageChunk

_CHUNK_TYPES: dict[str, type[WireModel]] = {
    "encoded_text": EncodedTextChunk,
    "image_asset_pointer": ImageAssetPointerChunk,
    "image": ImageChunk,
}


def pick_chunk(d: Mapping[str, Any]) -> type[WireModel]:
    """The chunk class for a JSON chunk; 0.6.3 clients omit `type`, so infer it from the keys."""
    tag = d.get("type")
    if tag is not None:
        cls = _CHUNK_TYPES.get(tag)
        if cls is not None:
            return cls
    if "tokens" in d:
        return EncodedTextChunk
    if "location" in d:
        return ImageAssetPointerChunk
    if "data" in d:
        return ImageChunk
    raise TinkexValidationError(
        "ModelInput.chunks",
        f"unknown chunk {sorted(d)!r}",
        "send type encoded_text, image or image_asset_pointer",
    )


def _to_chunks(value: Any) -> list[ModelInputChunk]:
    if isinstance(value, list):
        chunks = value
    elif isinstance(value, tuple):
        chunks = list(value)
    else:
        raise TinkexValidationError(
            "ModelInput.chunks",
            f"must be a list of chunks, got {type(value).__name__}",
            "use ModelInput.from_ints(tokens) for plain token ids",
        )
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, EncodedTextChunk | ImageAssetPointerChunk | ImageChunk):
            if isinstance(chunk, Mapping):
                chunks = [c if not isinstance(c, Mapping) else pick_chunk(c).from_dict(c) for c in chunks]
                return _to_chunks(chunks)
            raise TinkexValidationError(
                f"ModelInput.chunks[{i}]",
                f"must be EncodedTextChunk, ImageChunk or ImageAssetPointerChunk, got {type(chunk).__name__}",
                "use ModelInput.from_ints(tokens) for plain token ids",
            )
    return chunks


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ModelInput(WireModel):
    """The input sequence of a model: a list of chunks (token runs and images).

    Example::

        >>> mi = ModelInput.from_ints([1, 2, 3]).append_int(4)
        >>> mi.length, mi.to_ints()
        (4, [1, 2, 3, 4])
    """

    chunks: list[ModelInputChunk] = attrs.field(converter=_to_chunks)

    _CODECS: ClassVar[dict[str, Codec]] = {"chunks": ListOf(Union_(pick_chunk))}

    @classmethod
    def from_ints(cls, tokens: Sequence[int]) -> ModelInput:
        """One text chunk holding a snapshot of `tokens`."""
        return cls(chunks=[EncodedTextChunk(tokens=tokens)])

    @classmethod
    def from_text(cls, text: str, tokenizer: Any, *, add_special_tokens: bool = True) -> ModelInput:
        """One text chunk holding `tokenizer.encode(text)` (any object with an `encode` method, e.g.
        a HuggingFace tokenizer or `client.get_tokenizer()`); `add_special_tokens=False` leaves out
        the BOS/EOS a HuggingFace tokenizer would add.

        Example::

            prompt = ModelInput.from_text("1+2=", training_client.get_tokenizer())
        """
        if not isinstance(text, str):
            raise TinkexValidationError(
                "ModelInput.from_text(text)",
                f"must be a str, got {type(text).__name__}",
                "pass the prompt text",
            )
        encode = getattr(tokenizer, "encode", None)
        if not callable(encode):
            raise TinkexValidationError(
                "ModelInput.from_text(tokenizer)",
                f"has no encode() method ({type(tokenizer).__name__})",
                "pass a tokenizer, e.g. training_client.get_tokenizer()",
            )
        # Only pass the keyword when it differs from HuggingFace's default, so tokenizers without it work.
        tokens = encode(text) if add_special_tokens else encode(text, add_special_tokens=False)
        return cls.from_ints(list(tokens))

    def to_ints(self) -> list[int]:
        """All token ids; raises `TinkexValidationError` if an image chunk is present."""
        texts: list[EncodedTextChunk] = []
        for chunk in self.chunks:
            if not isinstance(chunk, EncodedTextChunk):
                raise TinkexValidationError(
                    "ModelInput.to_ints()",
                    f"only works on text chunks, found {type(chunk).__name__}",
                    "iterate over .chunks to handle image chunks",
                )
            texts.append(chunk)
        if len(texts) == 1:
            return list(texts[0].tokens)
        return [token for chunk in texts for token in chunk.tokens]

    @property
    def length(self) -> int:
        """Total context length of all chunks (cheap: no token is touched)."""
        return sum(chunk.length for chunk in self.chunks)

    @classmethod
    def empty(cls) -> ModelInput:
        """A ModelInput without chunks."""
        return cls(chunks=[])

    def append(self, chunk: ModelInputChunk) -> ModelInput:
        """A new ModelInput with `chunk` added at the end."""
        return ModelInput(chunks=[*self.chunks, chunk])

    def append_int(self, token: int) -> ModelInput:
        """A new ModelInput with one more token (as a new text chunk, like the official)."""
        return self.append(EncodedTextChunk(tokens=[token]))

    def to_dict(self) -> dict[str, Any]:
        return {"chunks": [chunk.to_dict() for chunk in self.chunks]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelInput:
        if isinstance(d, ModelInput):
            return d
        if not isinstance(d, Mapping) or "chunks" not in d:
            return super().from_dict(d)
        raw = d["chunks"] or []
        return cls(chunks=[c if not isinstance(c, Mapping) else pick_chunk(c).from_dict(c) for c in raw])

    def __repr__(self) -> str:
        if len(self.chunks) > 4:
            return f"ModelInput(chunks=[{self.chunks[0]!r}, ... ({len(self.chunks)} chunks)], length={self.length})"
        return f"ModelInput(chunks={self.chunks!r})"
