from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from tinkex.types._base import WireModel, frozen
from tinkex.types._tensor import TensorDataMixin

from .tensor_dtype import TensorDtype


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class TensorData(TensorDataMixin, WireModel):
    """A tensor flattened in row-major order. `shape` null or absent means 1-D (`[len(data)]`).
    Closed (the official type forbids extra keys, also inside responses). Decision: `data` items are
    `number` (integers are numbers); int64 tensors carry integers."""

    data: list[int] | list[float] | Any
    """The values, row-major."""
    dtype: TensorDtype
    """Element type of a TensorData."""
    shape: list[int] | None = None
    """The dense shape."""
    sparse_crow_indices: list[int] | None = None
    """CSR row pointers (2-D tensors): data holds the non-zero values."""
    sparse_col_indices: list[int] | None = None
    """CSR column of each value."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "dtype": frozenset({"float32", "int64"}),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"sparse_crow_indices", "sparse_col_indices"})
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"data", "shape", "sparse_crow_indices", "sparse_col_indices"})
