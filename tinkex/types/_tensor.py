"""The hand-written part of `TensorData` (generated from the spec): numpy / torch interop, snapshotting
of user data, a fast decode path and array-aware equality.

`data` is a Python list, or a flat C-contiguous numpy array (orjson encodes it natively and
`to_numpy` then copies nothing). User data is snapshotted at construction, as the official
pydantic model does, so later in-place changes to the caller's list or array are not sent; decoded
JSON is kept as is. numpy and torch are imported only inside the helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import Array, Codec, WireModel
from tinkex.types._enums import TensorDtype

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import torch

__all__ = ["TensorDataMixin"]

_DTYPES = ("int64", "float32")


def _check_dtype(value: Any) -> None:
    if value not in _DTYPES:
        raise TinkexValidationError(
            "TensorData.dtype",
            f"must be 'int64' or 'float32', got {value!r}",
            "pass dtype='int64' or 'float32'",
        )


def _convert_data(value: Any) -> Any:
    # A snapshot: list.copy / ndarray copy are memcpy-speed, no per-element Python work.
    if isinstance(value, list):
        return value.copy()
    if isinstance(value, tuple):
        return value
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return _flat_array(value, copy=True)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        raise TinkexValidationError(
            "TensorData.data",
            "got a torch.Tensor",
            "use TensorData.from_torch(tensor) to keep its dtype and shape",
        )
    raise TinkexValidationError(
        "TensorData.data",
        f"must be a flat list of numbers or a numpy array, got {type(value).__name__}",
        "pass a list, or use TensorData.from_numpy / from_torch",
    )


def _convert_shape(value: Any) -> list[int] | None:
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    raise TinkexValidationError(
        "TensorData.shape",
        f"must be a list of ints or None, got {type(value).__name__}",
        "pass e.g. shape=[4, 8]",
    )


def _flat_array(array: Any, *, copy: bool) -> Any:
    """1-D, C-contiguous, in a dtype orjson encodes natively; a private copy when `copy`."""
    import numpy as np

    if array.dtype.kind == "f" and array.dtype.itemsize not in (4, 8):
        return array.astype(np.float32, order="C").reshape(-1)  # float16 / longdouble: new array
    if not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="), order="C").reshape(-1)
    if copy:
        return np.array(array, order="C", copy=True).reshape(-1)
    return np.ascontiguousarray(array).reshape(-1)


def _numpy_tensor_dtype(array: Any, field: str) -> TensorDtype:
    kind = array.dtype.kind
    if kind == "f":
        return "float32"
    if kind == "i":
        return "int64"
    raise TinkexValidationError(
        field,
        f"numpy dtype {array.dtype} is not supported (only float -> float32 and signed int -> int64)",
        "convert first, e.g. array.astype(np.int64) or array.astype(np.float32)",
    )


class TensorDataMixin(WireModel):
    """A tensor on the wire: `data` flattened in row-major order, `dtype` int64 or float32, optional `shape`.

    Example::

        >>> from tinkex.types import TensorData
        >>> td = TensorData(data=[1, 2, 3, 4], dtype="int64", shape=[2, 2])
        >>> td.tolist()
        [[1, 2], [3, 4]]
        >>> TensorData.from_dict(td.to_dict()) == td
        True
    """

    __slots__ = ()

    if TYPE_CHECKING:
        data: Any
        dtype: TensorDtype
        shape: list[int] | None

    _MIXIN_CODECS: ClassVar[dict[str, Codec]] = {"data": Array()}

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _convert_data(self.data))
        _check_dtype(self.dtype)
        object.__setattr__(self, "shape", _convert_shape(self.shape))

    def to_dict(self) -> dict[str, Any]:
        # Hot path: the data list / array goes into the body as is.
        if self.shape is None:
            return {"data": self.data, "dtype": self.dtype}
        return {"data": self.data, "dtype": self.dtype, "shape": self.shape}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        if isinstance(d, cls):
            return d
        if isinstance(d, Mapping):
            data, dtype, shape = d.get("data"), d.get("dtype"), d.get("shape")
            if isinstance(data, list) and dtype in _DTYPES and (shape is None or isinstance(shape, list)):
                # Decoded JSON: keep the list itself (no copy, no per-element work).
                return cls._trusted(data=data, dtype=dtype, shape=shape)
        return super().from_dict(d)

    # --- cheap sizes for chunking estimates -----------------------------------------------------

    @property
    def numel(self) -> int:
        """Number of elements, without touching them (len of the flat data)."""
        return len(self.data)

    # --- conversions ------------------------------------------------------------------------------

    @classmethod
    def from_numpy(cls, array: npt.NDArray[Any]) -> Self:
        """A snapshot of a numpy array, kept as a flat array (one memcpy, no Python list).

        float arrays become dtype float32, signed int arrays int64; other dtypes are rejected.
        The values are sent as they are (a float64 array keeps its precision on the wire, as the
        official client's `tolist()` does).

        Example::

            >>> import numpy as np
            >>> from tinkex.types import TensorData
            >>> TensorData.from_numpy(np.zeros((2, 3), dtype=np.float32)).shape
            [2, 3]
        """
        dtype = _numpy_tensor_dtype(array, "TensorData.from_numpy(array)")
        return cls._trusted(data=_flat_array(array, copy=True), dtype=dtype, shape=list(array.shape))

    @classmethod
    def from_torch(cls, tensor: torch.Tensor) -> Self:
        """Wrap a torch tensor (detached, moved to CPU): floating -> float32, anything else -> int64.

        Example::

            >>> import torch
            >>> from tinkex.types import TensorData
            >>> TensorData.from_torch(torch.tensor([1, 2])).dtype
            'int64'
        """
        import torch

        dtype: TensorDtype = "float32" if tensor.dtype.is_floating_point else "int64"
        shape = list(tensor.shape)
        t = tensor.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if dtype == "float32":
            if t.dtype not in (torch.float32, torch.float64):
                t = t.to(torch.float32)  # bfloat16 / float16 have no orjson encoding
        elif t.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8):
            t = t.to(torch.int64)  # bool, uint8 ...: the official client sends them as int64
        if "numpy" in sys.modules or _numpy_available():
            try:
                return cls._trusted(data=_flat_array(t.numpy(), copy=True), dtype=dtype, shape=shape)
            except RuntimeError:  # torch built without numpy support
                pass
        return cls._trusted(data=t.reshape(-1).tolist(), dtype=dtype, shape=shape)

    def to_numpy(self) -> np.ndarray[Any, Any]:
        """A numpy array of dtype float32 / int64 in `shape`.

        When `data` already is an array of that dtype this is a view of it (no copy): modifying it
        in place modifies this TensorData.

        Example::

            >>> from tinkex.types import TensorData
            >>> TensorData(data=[1.0, 2.0], dtype="float32").to_numpy().dtype
            dtype('float32')
        """
        import numpy as np

        np_dtype = np.float32 if self.dtype == "float32" else np.int64
        arr = np.asarray(self.data, dtype=np_dtype)
        if self.shape is not None:
            arr = arr.reshape(self.shape)
        return arr

    def to_torch(self) -> torch.Tensor:
        """A torch tensor of dtype float32 / int64 in `shape`.

        Example::

            >>> from tinkex.types import TensorData
            >>> TensorData(data=[1, 2], dtype="int64").to_torch().tolist()
            [1, 2]
        """
        import torch

        torch_dtype = torch.float32 if self.dtype == "float32" else torch.int64
        if isinstance(self.data, list | tuple):
            tensor = torch.tensor(self.data, dtype=torch_dtype)
        else:
            # Copy: a tensor that shared memory with this frozen object could mutate it.
            tensor = torch.from_numpy(self.to_numpy().copy())
        if self.shape is not None:
            tensor = tensor.reshape(self.shape)
        return tensor

    def tolist(self) -> list[Any]:
        """Nested Python lists in `shape`, values cast to the dtype (as `to_numpy().tolist()`).

        Example::

            >>> from tinkex.types import TensorData
            >>> TensorData(data=[1, 2, 3, 4], dtype="int64", shape=[2, 2]).tolist()
            [[1, 2], [3, 4]]
        """
        if _numpy_available():
            return self.to_numpy().tolist()  # type: ignore[no-any-return]
        return _tolist_pure(self.data, self.dtype, self.shape)

    # --- equality -------------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorDataMixin):
            return NotImplemented
        if self.dtype != other.dtype or self._shape_or_flat() != other._shape_or_flat():
            return False
        a, b = self.data, other.data
        if isinstance(a, list) and isinstance(b, list):
            return a == b
        return _as_list(a) == _as_list(b)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]  # holds a mutable list or array

    def _shape_or_flat(self) -> list[int]:
        return self.shape if self.shape is not None else [len(self.data)]


def _as_list(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if hasattr(data, "tolist"):
        return data.tolist()  # type: ignore[no-any-return]
    return list(data)


_NUMPY_OK: list[bool] = []


def _numpy_available() -> bool:
    if not _NUMPY_OK:
        import importlib.util

        _NUMPY_OK.append(importlib.util.find_spec("numpy") is not None)
    return _NUMPY_OK[0]


def _tolist_pure(data: Any, dtype: str, shape: list[int] | None) -> list[Any]:
    from array import array

    # array('f') rounds to float32 exactly as numpy would.
    flat = array("f", data).tolist() if dtype == "float32" else [int(v) for v in data]
    if not shape or len(shape) <= 1:
        return flat
    for dim in reversed(shape[1:]):
        flat = [flat[i : i + dim] for i in range(0, len(flat), dim)]
    return flat
