"""Table tests of forward_backward chunking (0.7.0 limits: 1024 datums, 5,000,000 estimated bytes)."""

from __future__ import annotations

import pytest

from tinkex._policy._chunking import DEFAULT_MAX_BYTES, DEFAULT_MAX_DATUMS, chunk_data, estimate_datum_bytes
from tinkex.types import Datum, ImageAssetPointerChunk, ModelInput


def _datum(n_tokens: int) -> Datum:
    return Datum(
        model_input=ModelInput.from_ints(list(range(n_tokens))),
        loss_fn_inputs={"target_tokens": list(range(n_tokens)), "weights": [1.0] * n_tokens},
    )


def test_defaults_are_the_official_070_ones() -> None:
    assert (DEFAULT_MAX_DATUMS, DEFAULT_MAX_BYTES) == (1024, 5_000_000)


@pytest.mark.parametrize(("n_tokens", "expected"), [(0, 0), (1, 30), (10, 300), (8192, 8192 * 30)])
def test_estimate_datum_bytes_tokens_and_loss_inputs_times_ten(n_tokens: int, expected: int) -> None:
    # 10 per token + 10 per target_tokens element + 10 per weights element
    assert estimate_datum_bytes(_datum(n_tokens)) == expected


def test_estimate_counts_image_pointer_by_location_length() -> None:
    chunk = ImageAssetPointerChunk(format="png", location="s3://bucket/img.png")
    d = Datum(model_input=ModelInput(chunks=[chunk]), loss_fn_inputs={})
    assert estimate_datum_bytes(d) == len("s3://bucket/img.png")


def test_estimate_numpy_loss_inputs_count_all_elements() -> None:
    np = pytest.importorskip("numpy")
    d = Datum(
        model_input=ModelInput.from_ints([1, 2]),
        loss_fn_inputs={"weights": np.ones((2, 3), dtype=np.float32)},
    )
    assert estimate_datum_bytes(d) == 20 + 60


@pytest.mark.parametrize(
    ("sizes", "max_datums", "max_bytes", "expected"),
    [
        ([], 4, 100, []),
        ([1, 1, 1], 4, 100, [[1, 1, 1]]),
        ([1] * 5, 2, 100, [[1, 1], [1, 1], [1]]),
        ([60, 50], 10, 100, [[60], [50]]),  # 110 > 100 closes the chunk
        ([50, 50], 10, 100, [[50, 50]]),  # exactly at the limit stays together
        ([500, 1, 1], 10, 100, [[500], [1, 1]]),  # an oversize datum travels alone, never split
        ([1, 500, 1], 10, 100, [[1], [500], [1]]),
    ],
)
def test_chunk_data_table(
    sizes: list[int], max_datums: int, max_bytes: int, expected: list[list[int]]
) -> None:
    assert chunk_data(sizes, max_datums=max_datums, max_bytes=max_bytes, size_of=lambda x: x) == expected


def test_chunk_data_keeps_order() -> None:
    items = list(range(2500))
    chunks = chunk_data(items, size_of=lambda x: 1)
    assert [len(c) for c in chunks] == [1024, 1024, 452]
    assert [x for c in chunks for x in c] == items


def test_32_datums_of_8192_tokens_split_by_bytes() -> None:
    data = [_datum(8192)] * 32  # 245,760 estimated bytes each -> 20 per 5 MB request
    assert [len(c) for c in chunk_data(data)] == [20, 12]
