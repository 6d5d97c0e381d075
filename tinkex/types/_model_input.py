"""The hand-written part of `ModelInput` and its chunks (generated from the spec): the official
helpers (from_ints, to_ints, length, append ...), token snapshots, fast decode paths and short reprs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import WireModel, to_bytes

if TYPE_CHECKING:
    from _tinkex_lowlevel.models.dmel_chunk import DmelChunk
    from _tinkex_lowlevel.models.encoded_text_chunk import EncodedTextChunk
    from _tinkex_lowlevel.models.image_asset_pointer_chunk import ImageAssetPointerChunk
    from _tinkex_lowlevel.models.image_chunk import ImageChunk

__all__ = [
    "DmelChunkMixin",
    "EncodedTextChunkMixin",
    "ImageAssetPointerChunkMixin",
    "ImageChunkMixin",
    "ModelInputMixin",
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


def _check_format(owner: str, value: Any) -> None:
    if value not in ("png", "jpeg"):
        raise TinkexValidationError(
            f"{owner}.format",
            f"must be 'png' or 'jpeg', got {value!r}",
            "pass format='png' or 'jpeg'",
        )


class EncodedTextChunkMixin(WireModel):
    """A run of token ids.

    Example::

        >>> from tinkex.types import EncodedTextChunk
        >>> EncodedTextChunk(tokens=[1, 2, 3]).length
        3
    """

    __slots__ = ()

    if TYPE_CHECKING:
        tokens: Sequence[int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", _to_tokens(self.tokens))

    @property
    def length(self) -> int:
        """Number of tokens."""
        return len(self.tokens)

    def to_dict(self) -> dict[str, Any]:
        # Hot path: no generic machinery, and the token list itself goes into the body.
        return {"tokens": self.tokens, "type": "encoded_text"}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        if isinstance(d, cls):
            return d
        tokens = d.get("tokens") if isinstance(d, Mapping) else None
        if isinstance(tokens, list):
            # Decoded JSON is ours alone: keep the list (no copy, no per-token work).
            return cls._trusted(tokens=tokens, type="encoded_text")
        return super().from_dict(d)


class _ImageLength(WireModel):
    __slots__ = ()

    if TYPE_CHECKING:
        expected_tokens: int | None
        format: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_format(type(self).__name__, self.format)

    @property
    def length(self) -> int:
        """The advisory token count; raises when `expected_tokens` is not set."""
        if self.expected_tokens is None:
            raise TinkexValidationError(
                f"{type(self).__name__}.expected_tokens",
                "is needed to compute the length",
                "set expected_tokens to the number of tokens the image takes",
            )
        return self.expected_tokens


class ImageAssetPointerChunkMixin(_ImageLength):
    """An image the server fetches from `location`; `expected_tokens` gives its length up front.

    Example::

        >>> from tinkex.types import ImageAssetPointerChunk
        >>> ImageAssetPointerChunk(format="png", location="s3://b/i.png", expected_tokens=64).length
        64
    """

    __slots__ = ()


class ImageChunkMixin(_ImageLength):
    """Inline image bytes (base64 on the wire); `expected_tokens` gives its length up front.

    Example::

        >>> from tinkex.types import ImageChunk
        >>> ImageChunk(data=b"\\x89PNG", format="png", expected_tokens=16).to_dict()["data"]
        'iVBORw=='
    """

    __slots__ = ()

    if TYPE_CHECKING:
        data: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", to_bytes(self.data))
        _check_format("ImageChunk", self.format)


class DmelChunkMixin(WireModel):
    """DMel audio tokens (tinker 0.38): a serialized tensor container whose first dimension is the length.

    Example::

        >>> from tinkex.types import DmelChunk
        >>> DmelChunk(dmel=bytes([3, 2, 5, 80])).length  # dtype 3, ndim 2, shape (5, 80)
        5
    """

    __slots__ = ()

    if TYPE_CHECKING:
        dmel: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "dmel", to_bytes(self.dmel))

    @property
    def length(self) -> int:
        """Tokens the chunk takes: the first dimension of the container's shape (its header only)."""
        shape = _container_shape(self.dmel)
        if not shape:
            raise TinkexValidationError(
                "DmelChunk.dmel", "holds a scalar tensor", "pass a tensor of shape [tokens, ...]"
            )
        return shape[0]


def _container_shape(data: bytes) -> tuple[int, ...]:
    # Header layout: [254 if constant] dtype byte (0..7), varint ndim, varint per dimension.
    def fail(why: str) -> TinkexValidationError:
        return TinkexValidationError("DmelChunk.dmel", why, "pass the serialized tensor container bytes")

    pos = 1 if data[:1] == b"\xfe" else 0
    if pos >= len(data) or data[pos] > 7:
        raise fail("is not a tensor container (empty, or an unknown dtype byte)")
    pos += 1
    values: list[int] = []
    count: int | None = None
    while count is None or len(values) < count:
        value = shift = 0
        while True:
            if pos >= len(data) or shift > 63:
                raise fail("has a truncated or malformed header")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if count is None:
            count = value
        else:
            values.append(value)
    return tuple(values)


def _chunk_union() -> Any:
    from _tinkex_lowlevel.models.model_input import ModelInput

    return ModelInput._CODECS["chunks"].inner  # type: ignore[attr-defined]


def _to_chunks(value: Any) -> list[Any]:
    from _tinkex_lowlevel.models.dmel_chunk import DmelChunk
    from _tinkex_lowlevel.models.encoded_text_chunk import EncodedTextChunk
    from _tinkex_lowlevel.models.image_asset_pointer_chunk import ImageAssetPointerChunk
    from _tinkex_lowlevel.models.image_chunk import ImageChunk

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
        if not isinstance(chunk, EncodedTextChunk | ImageAssetPointerChunk | ImageChunk | DmelChunk):
            if isinstance(chunk, Mapping):
                union = _chunk_union()
                chunks = [c if not isinstance(c, Mapping) else union.load(c) for c in chunks]
                return _to_chunks(chunks)
            raise TinkexValidationError(
                f"ModelInput.chunks[{i}]",
                f"must be EncodedTextChunk, ImageChunk, ImageAssetPointerChunk or DmelChunk, got {type(chunk).__name__}",
                "use ModelInput.from_ints(tokens) for plain token ids",
            )
    return chunks


class ModelInputMixin(WireModel):
    """The input sequence of a model: a list of chunks (token runs and images).

    Example::

        >>> from tinkex.types import ModelInput
        >>> mi = ModelInput.from_ints([1, 2, 3]).append_int(4)
        >>> mi.length, mi.to_ints()
        (4, [1, 2, 3, 4])
    """

    __slots__ = ()

    if TYPE_CHECKING:
        chunks: list[EncodedTextChunk | ImageAssetPointerChunk | ImageChunk | DmelChunk]

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunks", _to_chunks(self.chunks))

    @classmethod
    def from_ints(cls, tokens: Sequence[int]) -> Self:
        """One text chunk holding a snapshot of `tokens`."""
        from _tinkex_lowlevel.models.encoded_text_chunk import EncodedTextChunk

        return cls(chunks=[EncodedTextChunk(tokens=tokens)])  # type: ignore[call-arg]  # a generated field

    @classmethod
    def from_text(cls, text: str, tokenizer: Any, *, add_special_tokens: bool = True) -> Self:
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
        from _tinkex_lowlevel.models.encoded_text_chunk import EncodedTextChunk

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
    def empty(cls) -> Self:
        """A ModelInput without chunks."""
        return cls(chunks=[])  # type: ignore[call-arg]

    def append(self, chunk: EncodedTextChunk | ImageAssetPointerChunk | ImageChunk) -> Self:
        """A new ModelInput with `chunk` added at the end."""
        return type(self)(chunks=[*self.chunks, chunk])  # type: ignore[call-arg]

    def append_int(self, token: int) -> Self:
        """A new ModelInput with one more token (as a new text chunk, like the official)."""
        from _tinkex_lowlevel.models.encoded_text_chunk import EncodedTextChunk

        return self.append(EncodedTextChunk(tokens=[token]))

    def to_dict(self) -> dict[str, Any]:
        return {"chunks": [chunk.to_dict() for chunk in self.chunks]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        if isinstance(d, cls):
            return d
        if not isinstance(d, Mapping) or "chunks" not in d:
            return super().from_dict(d)
        raw = d["chunks"] or []
        union = _chunk_union()
        return cls(chunks=[c if not isinstance(c, Mapping) else union.load(c) for c in raw])  # type: ignore[call-arg]

    def __repr__(self) -> str:
        if len(self.chunks) > 4:
            return f"ModelInput(chunks=[{self.chunks[0]!r}, ... ({len(self.chunks)} chunks)], length={self.length})"
        return f"ModelInput(chunks={self.chunks!r})"
