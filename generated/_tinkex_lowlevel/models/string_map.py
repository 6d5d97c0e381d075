from __future__ import annotations

from typing import TypeAlias

StringMap: TypeAlias = dict[str, str]
"""An object with string values (a training run's user metadata)."""
