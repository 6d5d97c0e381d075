"""The two provenance span kinds of tinker 0.38 (`PromptProvenanceSpan`, `SampledProvenanceSpan`): the
generated `ProvenanceSpan` with its `type` fixed, so code written for the official classes builds them
by name; `Datum.with_provenance` (in `_datum`) takes lists of them."""

from __future__ import annotations

import dataclasses
from typing import Literal, TypeAlias

from _tinkex_lowlevel.models.provenance_span import ProvenanceSpan

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import frozen

__all__ = ["PromptProvenanceSpan", "ProvenanceSpans", "SampledProvenanceSpan", "check_tiling"]


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class PromptProvenanceSpan(ProvenanceSpan):
    """Positions `[offset, offset + length)` of the prompt of the sample request `sequence_id` names.

    Example::

        >>> PromptProvenanceSpan(sequence_id="req-1:0", length=3).to_dict()
        {'type': 'prompt_tokens', 'sequence_id': 'req-1:0', 'offset': 0, 'length': 3}
    """

    type: Literal["prompt_tokens"] = "prompt_tokens"


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SampledProvenanceSpan(ProvenanceSpan):
    """Positions `[offset, offset + length)` of the tokens sampled for sequence `sequence_id`."""

    type: Literal["sampled_tokens"] = "sampled_tokens"


ProvenanceSpans: TypeAlias = list[PromptProvenanceSpan | SampledProvenanceSpan]


def check_tiling(field: str, spans: object, expected: int | None) -> list[ProvenanceSpan]:
    """`spans` as a list of spans whose lengths add up to `expected` (None: not checked), or a
    TinkexValidationError naming the field and the fix."""
    if not isinstance(spans, list | tuple):
        raise TinkexValidationError(
            field, f"must be a list of spans, got {type(spans).__name__}", "pass a list"
        )
    total = 0
    for i, span in enumerate(spans):
        if not isinstance(span, ProvenanceSpan) or span.type is None:
            raise TinkexValidationError(
                f"{field}[{i}]",
                f"must be a PromptProvenanceSpan or SampledProvenanceSpan, got {type(span).__name__}",
                "build each run with PromptProvenanceSpan(...) or SampledProvenanceSpan(...)",
            )
        if span.length is None or span.length < 0 or span.offset < 0:
            raise TinkexValidationError(
                f"{field}[{i}]",
                "needs a length >= 0 and an offset >= 0",
                "set length to the run's token count",
            )
        total += span.length
    if expected is not None and total != expected:
        raise TinkexValidationError(
            field,
            f"spans cover {total} positions but the field has {expected}",
            "the runs must tile the field: every position in exactly one run",
        )
    return list(spans)
