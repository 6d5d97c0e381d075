"""Sampling back-pressure: how long a 429 on asample pauses the session's sampling."""

from __future__ import annotations

__all__ = ["LARGE_PROMPT_BYTES", "sample_backoff_seconds"]

# 0.7.0: after a 429 the session's sampling pauses 1 s, or 5 s when the prompt is over 128 KiB
# (estimated at 10 bytes per token), so large prompts do not hammer a busy server.
LARGE_PROMPT_BYTES = 128 * 1024


def sample_backoff_seconds(prompt_bytes: int, retry_after: float | None = None) -> float:
    """Pause after a sampling 429: the server's Retry-After if given, else 1 s (5 s for big prompts).

    >>> sample_backoff_seconds(1000), sample_backoff_seconds(200_000), sample_backoff_seconds(10, 2.5)
    (1.0, 5.0, 2.5)
    """
    if retry_after is not None:
        return retry_after
    return 5.0 if prompt_bytes > LARGE_PROMPT_BYTES else 1.0
