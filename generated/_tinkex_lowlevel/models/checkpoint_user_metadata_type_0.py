from __future__ import annotations

from typing import TypeAlias

CheckpointUserMetadataType0: TypeAlias = dict[str, str]
"""From the save."""
