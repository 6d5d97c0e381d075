from __future__ import annotations

from typing import Any, TypeAlias

SessionSearchRequestUserMetadata: TypeAlias = dict[str, Any]
"""Each key equal."""
