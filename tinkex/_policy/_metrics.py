"""Merge the metrics of the chunks of one forward / forward_backward call by their `name:reduction` key.

Reductions as the official client: mean (weighted by each chunk's number of outputs), slack (max
minus that mean), sum, min, max, hash_unordered, unique (first value under the key, the others as
`key_1`, `key_2`, ...). Unknown reductions and keys missing from any chunk are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tinkex._exceptions import TinkexValidationError

__all__ = ["REDUCTIONS", "merge_metrics", "split_metric_key"]

REDUCTIONS = frozenset({"mean", "slack", "sum", "min", "max", "hash_unordered", "unique"})


def split_metric_key(key: str) -> tuple[str, str]:
    """Split `name:reduction`; a key without exactly one `:` raises a TinkexValidationError naming it.

    >>> split_metric_key("loss:sum")
    ('loss', 'sum')
    """
    parts = key.split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise TinkexValidationError(
            f"metrics[{key!r}]",
            "is not of the form 'name:reduction', so chunk results cannot be merged",
            "the server must name every metric 'name:reduction' (e.g. 'loss:sum'); until it does, "
            "send at most chunk_max_datums datums per call so no merge is needed",
        )
    return parts[0], parts[1]


def _weighted_mean(values: Sequence[float], weights: Sequence[int]) -> float:
    total = sum(weights)
    if total <= 0:
        return sum(values) / len(values)
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def merge_metrics(chunks: Sequence[tuple[Mapping[str, float], int]]) -> dict[str, float]:
    """Merge `(metrics, number_of_outputs)` per chunk into one metrics dict.

    One chunk is returned unchanged (nothing to merge, so even odd keys pass through).

    >>> merge_metrics([({"loss:sum": 1.0, "acc:mean": 1.0}, 1), ({"loss:sum": 2.0, "acc:mean": 0.0}, 3)])
    {'loss:sum': 3.0, 'acc:mean': 0.25}
    """
    if not chunks:
        return {}
    if len(chunks) == 1:
        return dict(chunks[0][0])
    weights = [n for _, n in chunks]
    merged: dict[str, float] = {}
    for key in chunks[0][0]:
        _, reduction = split_metric_key(key)
        if reduction not in REDUCTIONS:
            continue  # a reduction newer than this SDK: dropped, as the official client does
        if not all(key in m for m, _ in chunks):
            continue
        values = [float(m[key]) for m, _ in chunks]
        if reduction == "mean":
            merged[key] = _weighted_mean(values, weights)
        elif reduction == "slack":
            merged[key] = max(values) - _weighted_mean(values, weights)
        elif reduction == "sum":
            merged[key] = sum(values)
        elif reduction == "min":
            merged[key] = min(values)
        elif reduction == "max":
            merged[key] = max(values)
        elif reduction == "hash_unordered":
            # Order-insensitive: hash of the sorted integer values (ints hash deterministically).
            merged[key] = hash(tuple(sorted(int(v) for v in values)))
        else:  # unique
            merged[key] = values[0]
            for i, v in enumerate(values[1:], start=1):
                merged[f"{key}_{i}"] = v
    return merged
