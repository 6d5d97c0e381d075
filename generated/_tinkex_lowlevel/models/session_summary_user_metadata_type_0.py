from __future__ import annotations

from typing import TypeAlias

SessionSummaryUserMetadataType0: TypeAlias = dict[str, str]
"""From create_session."""
