"""Table tests of merging chunk metrics by `name:reduction` (as the official client)."""

from __future__ import annotations

import pytest

from tinkex._exceptions import TinkexValidationError
from tinkex._policy._metrics import merge_metrics, split_metric_key


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([], {}),
        ([({"loss:sum": 1.5, "odd": 3.0}, 2)], {"loss:sum": 1.5, "odd": 3.0}),  # one chunk: as is
        ([({"loss:sum": 1.0}, 1), ({"loss:sum": 2.5}, 1)], {"loss:sum": 3.5}),
        ([({"acc:mean": 1.0}, 1), ({"acc:mean": 0.0}, 3)], {"acc:mean": 0.25}),  # weighted by outputs
        ([({"acc:mean": 1.0}, 0), ({"acc:mean": 0.0}, 0)], {"acc:mean": 0.5}),  # no weights: plain mean
        ([({"t:slack": 4.0}, 1), ({"t:slack": 0.0}, 1)], {"t:slack": 2.0}),  # max - weighted mean
        ([({"x:min": 4.0}, 1), ({"x:min": -1.0}, 1)], {"x:min": -1.0}),
        ([({"x:max": 4.0}, 1), ({"x:max": -1.0}, 1)], {"x:max": 4.0}),
        (
            [({"id:unique": 1.0}, 1), ({"id:unique": 2.0}, 1), ({"id:unique": 3.0}, 1)],
            {"id:unique": 1.0, "id:unique_1": 2.0, "id:unique_2": 3.0},
        ),
        ([({"x:median": 1.0}, 1), ({"x:median": 2.0}, 1)], {}),  # unknown reduction dropped
        ([({"a:sum": 1.0, "b:sum": 1.0}, 1), ({"a:sum": 1.0}, 1)], {"a:sum": 2.0}),  # missing in a chunk
        (
            [({"a:sum": 1.0}, 1), ({"a:sum": 1.0, "c:sum": 5.0}, 1)],
            {"a:sum": 2.0},
        ),  # keys of first chunk only
    ],
)
def test_merge_metrics_table(chunks: list[tuple[dict[str, float], int]], expected: dict[str, float]) -> None:
    assert merge_metrics(chunks) == pytest.approx(expected)


def test_hash_unordered_is_order_insensitive() -> None:
    a = merge_metrics([({"h:hash_unordered": 3.0}, 1), ({"h:hash_unordered": 7.0}, 1)])
    b = merge_metrics([({"h:hash_unordered": 7.0}, 1), ({"h:hash_unordered": 3.0}, 1)])
    assert a == b
    assert set(a) == {"h:hash_unordered"}


@pytest.mark.parametrize("key", ["loss", "a:b:c", ":sum", "loss:"])
def test_malformed_key_is_a_clear_error_not_a_crash(key: str) -> None:
    with pytest.raises(TinkexValidationError, match="name:reduction") as info:
        merge_metrics([({key: 1.0}, 1), ({key: 2.0}, 1)])
    assert repr(key) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_split_metric_key() -> None:
    assert split_metric_key("e_frac_with_tokens:mean") == ("e_frac_with_tokens", "mean")
