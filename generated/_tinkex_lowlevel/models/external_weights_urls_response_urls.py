from __future__ import annotations

from typing import TypeAlias

ExternalWeightsUrlsResponseUrls: TypeAlias = dict[str, str]
"""Signed URL per file path relative to the checkpoint root."""
