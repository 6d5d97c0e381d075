from __future__ import annotations

from typing import Any, TypeAlias

SessionSearchRequestOwner: TypeAlias = dict[str, Any]
"""Whose sessions (`{type: own}`: the caller's; the only owner here)."""
