from __future__ import annotations

from typing import TypeAlias

SaveWeightsForSamplerRequestUserMetadataType0: TypeAlias = dict[str, str]
"""Stored with the checkpoint."""
