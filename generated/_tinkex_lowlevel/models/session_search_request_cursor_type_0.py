from __future__ import annotations

from typing import Any, TypeAlias

SessionSearchRequestCursorType0: TypeAlias = dict[str, Any]
"""Ignored: every answer is one page (next_cursor null)."""
