from __future__ import annotations

from typing import Any, TypeAlias

SessionSearchResponseNextCursorType0: TypeAlias = dict[str, Any]
"""Always null here (one page)."""
