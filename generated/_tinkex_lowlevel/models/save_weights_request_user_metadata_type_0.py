from __future__ import annotations

from typing import TypeAlias

SaveWeightsRequestUserMetadataType0: TypeAlias = dict[str, str]
"""Stored with the checkpoint and answered in Checkpoint.user_metadata."""
