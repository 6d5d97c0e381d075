from __future__ import annotations

from typing import TypeAlias

NumberMap: TypeAlias = dict[str, float]
"""An object with number values (metrics, loss_fn_config)."""
