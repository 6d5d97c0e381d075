from __future__ import annotations

from typing import Any, TypeAlias

LoadWeightsRequestUserMetadataType0: TypeAlias = dict[str, Any]
"""Create-via-load: the new run's metadata."""
