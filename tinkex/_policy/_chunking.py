"""Split forward / forward_backward data into requests by datum count and estimated bytes.

Limits and the size estimate are the official 0.7.0 client's: at most 1024 datums and 5,000,000
estimated bytes per request, where a datum costs 10 bytes per token (images: their byte length,
image pointers: the length of the location) plus 10 bytes per element of each loss input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DATUMS",
    "chunk_data",
    "estimate_chunk_bytes",
    "estimate_datum_bytes",
]

DEFAULT_MAX_DATUMS = 1024  # MAX_CHUNK_LEN in 0.7.0
DEFAULT_MAX_BYTES = 5_000_000  # MAX_CHUNK_BYTES_COUNT in 0.7.0
# 0.7.0 counts 10 bytes per token and per loss-input element (roughly a JSON number with separator).
BYTES_PER_NUMBER = 10

T = TypeVar("T")


def _count(data: Any) -> int:
    size = getattr(data, "size", None)  # numpy arrays: total element count, not the first dimension
    if isinstance(size, int):
        return size
    numel = getattr(data, "numel", None)  # torch tensors
    if callable(numel):
        return int(numel())
    return len(data)


def estimate_chunk_bytes(chunk: Any) -> int:
    """Estimated wire bytes of one model-input chunk (text, image or image pointer).

    >>> class Text:
    ...     tokens = [1, 2, 3]
    >>> estimate_chunk_bytes(Text())
    30
    """
    tokens = getattr(chunk, "tokens", None)
    if tokens is not None:
        return BYTES_PER_NUMBER * _count(tokens)
    location = getattr(chunk, "location", None)
    if location is not None:
        return len(location)
    data = getattr(chunk, "data", None)
    if data is not None:
        return len(data)
    length = getattr(chunk, "length", 0)
    return BYTES_PER_NUMBER * int(length() if callable(length) else length)


def estimate_datum_bytes(datum: Any) -> int:
    """Estimated wire bytes of a Datum: its model input plus 10 bytes per loss-input element."""
    chunks = getattr(getattr(datum, "model_input", None), "chunks", ()) or ()
    total = sum(estimate_chunk_bytes(c) for c in chunks)
    inputs = getattr(datum, "loss_fn_inputs", None) or {}
    for value in inputs.values():
        data = getattr(value, "data", value)
        total += BYTES_PER_NUMBER * _count(data)
    return total


def chunk_data(
    data: Sequence[T],
    *,
    max_datums: int = DEFAULT_MAX_DATUMS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    size_of: Callable[[T], int] = estimate_datum_bytes,
) -> list[list[T]]:
    """Greedy in-order split: a chunk closes before a datum that would exceed either limit.

    A single datum larger than `max_bytes` travels alone; no datum is ever split; an empty input
    gives no chunks.

    >>> chunk_data([1, 2, 3, 4, 5], max_datums=2, size_of=lambda x: 1)
    [[1, 2], [3, 4], [5]]
    >>> chunk_data([5, 5, 1], max_bytes=6, size_of=lambda x: x)
    [[5], [5, 1]]
    """
    chunks: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    for item in data:
        size = size_of(item)
        if current and (len(current) >= max_datums or current_bytes + size > max_bytes):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks
