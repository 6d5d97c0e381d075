"""`tinkex.types.tensor_data`: the module path code written for tinker 0.38 imports `TensorData` from
(`from tinker.types.tensor_data import TensorData`). The class is the generated one of `tinkex.types`."""

from __future__ import annotations

from _tinkex_lowlevel.models.tensor_data import TensorData

__all__ = ["TensorData"]
