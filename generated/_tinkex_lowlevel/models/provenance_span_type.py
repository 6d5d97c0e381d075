from typing import Literal

ProvenanceSpanType = Literal["prompt_tokens", "sampled_tokens"]

PROVENANCE_SPAN_TYPE_VALUES: set[ProvenanceSpanType] = {
    "prompt_tokens",
    "sampled_tokens",
}


def check_provenance_span_type(value: str) -> ProvenanceSpanType:
    if value in PROVENANCE_SPAN_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PROVENANCE_SPAN_TYPE_VALUES!r}")
